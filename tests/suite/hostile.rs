//! Answers no honest S3 store sends, from a scripted server (`hostile_server`): whatever a
//! server answers, the connector must not crash, run without end, fill memory or disk, or read
//! a failure as a success.

use connector_core::ops::listing::{ListRequest, Pages};
use connector_core::{Context, ErrorKind, Registry, Result};
use integration_tests::hostile_server::{Answer, HostileServer, Seen};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

async fn run(ctx: &Context, name: &str, input: Value) -> Result<Value> {
    Registry::global().invoke(ctx, name, input).await
}

/// The error of a run that must fail.
async fn failure(ctx: &Context, name: &str, input: Value) -> connector_core::Error {
    match run(ctx, name, input.clone()).await {
        Ok(output) => panic!("{name} {input} succeeded against a hostile server: {output}"),
        Err(err) => err,
    }
}

/// `<a>` nested `depth` times inside `<Root>`.
fn nested(root: &str, depth: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><{root}>{}x{}</{root}>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
}

const S3_ERROR: &str = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>\
    <RequestId>R1</RequestId></Error>";

/// Error documents dressed up so that a reader that looks only at the first bytes misses them.
fn disguised_errors() -> Vec<(&'static str, String)> {
    vec![
        ("a comment", format!("<!-- generated -->\n{S3_ERROR}")),
        (
            "a declaration and a comment",
            format!("<?xml version=\"1.0\"?><!-- x -->{S3_ERROR}"),
        ),
        (
            "a DOCTYPE",
            format!("<?xml version=\"1.0\"?>\n<!DOCTYPE Error>\n{S3_ERROR}"),
        ),
        ("a byte order mark", format!("\u{FEFF}{S3_ERROR}")),
        (
            "a processing instruction",
            format!("<?xml-stylesheet href=\"x\"?>{S3_ERROR}"),
        ),
        (
            "a namespace",
            S3_ERROR.replace(
                "<Error>",
                "<Error xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            ),
        ),
    ]
}

// ---- 1: XML nested without end ----------------------------------------------------------

async fn deep_xml_through_make_api_call(depth: usize) {
    let server = HostileServer::start(move |_| Answer::xml(nested("Deep", depth))).await;
    let ctx = server.context();
    let output = run(&ctx, "make_api_call", json!({"method": "GET", "url": "/b"}))
        .await
        .expect("the raw answer is still returned");
    assert_eq!(output["status"], 200);
    // Too deep to convert: the body is there as text, the JSON conversion is not.
    assert!(output["xml"].is_null(), "{}", output["xml"]);
    assert!(output["body"].as_str().unwrap().starts_with("<?xml"));
}

#[tokio::test]
async fn xml_20_000_deep_through_make_api_call_does_not_crash() {
    deep_xml_through_make_api_call(20_000).await;
}

#[tokio::test]
async fn xml_100_000_deep_through_make_api_call_does_not_crash() {
    deep_xml_through_make_api_call(100_000).await;
}

async fn deep_xml_in_a_listing(depth: usize) {
    let server = HostileServer::start(move |_| {
        Answer::xml(
            nested("ListBucketResult", depth)
                .replace(
                    "<a>",
                    // The nesting inside a field the listing reads.
                    "<Contents>",
                )
                .replace("</a>", "</Contents>"),
        )
    })
    .await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(err.message().contains("256"), "{}", err.message());
}

#[tokio::test]
async fn xml_20_000_deep_in_a_listing_is_a_server_error() {
    deep_xml_in_a_listing(20_000).await;
}

#[tokio::test]
async fn xml_100_000_deep_in_a_listing_is_a_server_error() {
    deep_xml_in_a_listing(100_000).await;
}

#[tokio::test]
async fn xml_deep_in_an_error_answer_is_still_an_error() {
    let server = HostileServer::start(|_| {
        // As deep as fits in the 64 KiB of an error body that are read.
        Answer::xml(nested("Error", 9_000)).with_status(403)
    })
    .await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.to_json());
}

// ---- 5: listings without end --------------------------------------------------------------

/// A ListObjectsV2 page with one key, truncated with `token` (none when `None`).
fn objects_page(key: &str, token: Option<&str>) -> String {
    let next = token.map_or(String::new(), |t| {
        format!("<NextContinuationToken>{t}</NextContinuationToken>")
    });
    format!(
        "<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>{next}\
         <Contents><Key>{key}</Key><Size>1</Size></Contents></ListBucketResult>"
    )
}

/// A server whose listings repeat the same token, until (for a client that never notices) the
/// 50th page ends the listing; DeleteObjects succeeds.
async fn repeating_listing_server() -> HostileServer {
    let pages = AtomicUsize::new(0);
    HostileServer::start(move |request: &Seen| {
        if request.method == "POST" && request.has_query("delete") {
            return Answer::xml("<DeleteResult/>");
        }
        if request.has_query("list-type") {
            if pages.fetch_add(1, Ordering::SeqCst) >= 49 {
                return Answer::xml(
                    "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                );
            }
            return Answer::xml(objects_page("k", Some("same")));
        }
        Answer::status(404)
    })
    .await
}

fn assert_names_the_repeat(err: &connector_core::Error, server: &HostileServer) {
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(
        err.message().contains("again"),
        "the message names the server's fault: {}",
        err.message()
    );
    assert!(server.requests() <= 3, "{} requests", server.requests());
}

#[tokio::test]
async fn a_repeated_continuation_token_stops_list_files() {
    let server = repeating_listing_server().await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_names_the_repeat(&err, &server);
}

#[tokio::test]
async fn a_repeated_continuation_token_stops_search_files() {
    let server = repeating_listing_server().await;
    let err = failure(&server.context(), "search_files", json!({"bucket": "b"})).await;
    assert_names_the_repeat(&err, &server);
}

#[tokio::test]
async fn a_repeated_continuation_token_stops_delete_folder() {
    for dry_run in [true, false] {
        let server = repeating_listing_server().await;
        let err = failure(
            &server.context(),
            "delete_folder",
            json!({"bucket": "b", "folder": "f", "dry_run": dry_run}),
        )
        .await;
        assert_names_the_repeat(&err, &server);
    }
}

#[tokio::test]
async fn a_truncated_page_without_a_token_is_not_the_end() {
    let server = HostileServer::start(|_| Answer::xml(objects_page("k", None))).await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(
        err.message().contains("NextContinuationToken"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_cycle_of_tokens_is_caught() {
    let pages = AtomicUsize::new(0);
    let server = HostileServer::start(move |_| {
        let n = pages.fetch_add(1, Ordering::SeqCst);
        if n >= 49 {
            return Answer::xml(
                "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
            );
        }
        Answer::xml(objects_page("k", Some(["A", "B", "C"][n % 3])))
    })
    .await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(server.requests() <= 4, "{} requests", server.requests());
}

/// Empty pages, each with a new token, forever (until a client that never notices has read
/// 1,000 of them).
#[tokio::test]
async fn endless_empty_pages_with_new_tokens_are_stopped() {
    let pages = AtomicUsize::new(0);
    let server = HostileServer::start(move |_| {
        let n = pages.fetch_add(1, Ordering::SeqCst);
        if n >= 1_000 {
            return Answer::xml(
                "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
            );
        }
        Answer::xml(format!(
            "<ListBucketResult><IsTruncated>true</IsTruncated>\
             <NextContinuationToken>t{n}</NextContinuationToken></ListBucketResult>"
        ))
    })
    .await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(err.message().contains("empty pages"), "{}", err.message());
    assert!(server.requests() <= 102, "{} requests", server.requests());
}

#[tokio::test]
async fn the_page_cap_is_set_where_the_listing_starts() {
    let pages = AtomicUsize::new(0);
    let server = HostileServer::start(move |_| {
        let n = pages.fetch_add(1, Ordering::SeqCst);
        Answer::xml(objects_page("k", Some(&format!("t{n}"))))
    })
    .await;
    let ctx = server.context();
    let request = ListRequest {
        max_keys: 1000,
        ..ListRequest::default()
    };
    let mut pages = Pages::new(ctx.client(), "b", request).max_pages(5);
    let mut read = 0;
    let err = loop {
        match pages.next().await {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("an endless listing ended"),
            Err(err) => break err,
        }
    };
    // Five pages are read; the fifth points further, past the cap.
    assert_eq!(read, 4);
    assert_eq!(server.requests(), 5);
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.message().contains("5 pages"), "{}", err.message());
}

#[tokio::test]
async fn a_repeated_bucket_token_stops_list_buckets() {
    let pages = AtomicUsize::new(0);
    let server = HostileServer::start(move |_| {
        let last = pages.fetch_add(1, Ordering::SeqCst) >= 49;
        let token = if last {
            String::new()
        } else {
            "<ContinuationToken>same</ContinuationToken>".to_owned()
        };
        Answer::xml(format!(
            "<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name></Bucket></Buckets>{token}\
             </ListAllMyBucketsResult>"
        ))
    })
    .await;
    let err = failure(&server.context(), "list_buckets", json!({})).await;
    assert_names_the_repeat(&err, &server);
}

#[tokio::test]
async fn repeated_markers_stop_emptying_a_bucket() {
    for listing in ["uploads", "versions"] {
        let pages = AtomicUsize::new(0);
        let server = HostileServer::start(move |request: &Seen| {
            match request.method.as_str() {
                "POST" => return Answer::xml("<DeleteResult/>"),
                "DELETE" => return Answer::status(204),
                _ => {}
            }
            let last = pages.fetch_add(1, Ordering::SeqCst) >= 49;
            let truncated = if last { "false" } else { "true" };
            if request.has_query("uploads") && listing == "uploads" {
                return Answer::xml(format!(
                    "<ListMultipartUploadsResult><IsTruncated>{truncated}</IsTruncated>\
                     <NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker>\
                     <Upload><Key>k</Key><UploadId>u</UploadId></Upload>\
                     </ListMultipartUploadsResult>"
                ));
            }
            if request.has_query("versions") && listing == "versions" {
                return Answer::xml(format!(
                    "<ListVersionsResult><IsTruncated>{truncated}</IsTruncated>\
                     <NextKeyMarker>k</NextKeyMarker><NextVersionIdMarker>v</NextVersionIdMarker>\
                     <Version><Key>k</Key><VersionId>v</VersionId></Version>\
                     </ListVersionsResult>"
                ));
            }
            Answer::xml("<Error><Code>NotImplemented</Code><Message>no</Message></Error>")
                .with_status(501)
        })
        .await;
        let err = failure(
            &server.context(),
            "delete_bucket",
            json!({"bucket": "b", "force": true}),
        )
        .await;
        assert_eq!(
            err.kind(),
            ErrorKind::Server,
            "{listing}: {}",
            err.to_json()
        );
        assert!(
            err.message().contains("again"),
            "{listing}: {}",
            err.message()
        );
        let listings = server
            .seen()
            .iter()
            .filter(|r| r.method == "GET" && r.has_query(listing))
            .count();
        assert!(listings <= 2, "{listing}: {listings} listings");
    }
}

// ---- 6: forged sizes ----------------------------------------------------------------------

/// The names in `dir`.
fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

async fn get_file_to(server: &HostileServer, dir: &std::path::Path) -> connector_core::Error {
    let dest = dir.join("out.bin");
    failure(
        &server.context(),
        "get_file",
        json!({"bucket": "b", "key": "k", "save_to": dest.to_str().unwrap()}),
    )
    .await
}

#[tokio::test]
async fn a_total_beyond_5_tib_is_refused_before_anything_is_written() {
    let server = HostileServer::start(|_| {
        Answer::status(206)
            .header("content-range", "bytes 0-0/17592186040320")
            .body("x")
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let err = get_file_to(&server, dir.path()).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(err.message().contains("5 TiB"), "{}", err.message());
    assert_eq!(server.requests(), 1);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test]
async fn a_range_that_contradicts_its_length_is_refused() {
    let server = HostileServer::start(|_| {
        Answer::status(206)
            .header("content-range", "bytes 0-99/1000")
            .body("x")
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let err = get_file_to(&server, dir.path()).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(
        err.message().contains("bytes 0-99/1000"),
        "{}",
        err.message()
    );
    assert_eq!(server.requests(), 1);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test]
async fn the_download_file_grows_only_with_what_arrives() {
    // A 1 GiB object whose first byte arrives, then the store refuses the rest: at that point
    // the temporary file must hold one byte, not 1 GiB reserved up front.
    let dir = tempfile::tempdir().unwrap();
    let watched = dir.path().to_owned();
    let largest = Arc::new(AtomicU64::new(0));
    let seen_largest = largest.clone();
    let server = HostileServer::start(move |request: &Seen| {
        if request.header("range") == Some("bytes=0-8388607") {
            return Answer::status(206)
                .header("content-range", "bytes 0-0/1073741824")
                .header("etag", "\"e\"")
                .body("x");
        }
        for entry in std::fs::read_dir(&watched).unwrap() {
            let len = entry.unwrap().metadata().unwrap().len();
            seen_largest.fetch_max(len, Ordering::SeqCst);
        }
        Answer::xml(S3_ERROR).with_status(403)
    })
    .await;
    let err = get_file_to(&server, dir.path()).await;
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.to_json());
    assert!(server.requests() >= 2);
    assert!(
        largest.load(Ordering::SeqCst) <= 1,
        "{} bytes",
        largest.load(Ordering::SeqCst)
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test]
async fn a_later_range_of_another_size_is_refused() {
    const PART: usize = 8 * 1024 * 1024;
    let server = HostileServer::start(|request: &Seen| match request.header("range") {
        Some("bytes=0-8388607") => Answer::status(206)
            .header(
                "content-range",
                format!("bytes 0-{}/{}", PART - 1, 2 * PART),
            )
            .header("etag", "\"e\"")
            .body(vec![b'a'; PART]),
        _ => Answer::status(206)
            .header(
                "content-range",
                format!("bytes {PART}-{}/999999999999", 2 * PART - 1),
            )
            .header("etag", "\"e\"")
            .body(vec![b'b'; PART]),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let err = get_file_to(&server, dir.path()).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(err.message().contains("999999999999"), "{}", err.message());
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

// ---- 11: failures that read as success --------------------------------------------------

#[tokio::test]
async fn a_disguised_error_is_not_an_empty_listing() {
    for (how, body) in disguised_errors() {
        let server = HostileServer::start(move |_| Answer::xml(body.clone())).await;
        let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
        assert_eq!(
            err.kind(),
            ErrorKind::AccessDenied,
            "{how}: {}",
            err.to_json()
        );
        assert_eq!(err.code(), Some("AccessDenied"), "{how}");
    }
}

#[tokio::test]
async fn another_document_is_not_a_listing() {
    let server = HostileServer::start(|_| Answer::xml("<CopyObjectResult/>")).await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(
        err.message().contains("<ListBucketResult>")
            && err.message().contains("<CopyObjectResult>"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_disguised_error_is_not_a_batch_delete() {
    let mut cases = disguised_errors();
    cases.push(("another document", "<ListBucketResult/>".to_owned()));
    for (how, body) in cases {
        let server = HostileServer::start(move |_| Answer::xml(body.clone())).await;
        let err = failure(
            &server.context(),
            "delete_files",
            json!({"bucket": "b", "keys": ["a", "b"]}),
        )
        .await;
        let expected = if how == "another document" {
            ErrorKind::Server
        } else {
            ErrorKind::AccessDenied
        };
        assert_eq!(err.kind(), expected, "{how}: {}", err.to_json());
    }
}

#[tokio::test]
async fn a_disguised_error_is_not_a_copy() {
    for (how, body) in disguised_errors() {
        let server = HostileServer::start(move |_| Answer::xml(body.clone())).await;
        let err = failure(
            &server.context(),
            "copy_file",
            json!({"source_bucket": "b", "source_key": "a", "destination_key": "c"}),
        )
        .await;
        assert_eq!(
            err.kind(),
            ErrorKind::AccessDenied,
            "{how}: {}",
            err.to_json()
        );
    }
}

/// A store that takes a multipart upload (one upload id, any part) and answers its completion
/// with what `complete` gives, each time it is asked.
async fn multipart_store(complete: impl Fn() -> Answer + Send + Sync + 'static) -> HostileServer {
    HostileServer::start(move |request: &Seen| {
        match (request.method.as_str(), request.has_query("uploadId")) {
            ("POST", false) => Answer::xml(
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>big</Key>\
                 <UploadId>u1</UploadId></InitiateMultipartUploadResult>",
            ),
            ("PUT", true) => Answer::status(200).header("etag", "\"part\""),
            ("POST", true) => complete(),
            ("DELETE", true) => Answer::status(204),
            _ => Answer::status(400),
        }
    })
    .await
}

/// An upload_file input that takes the multipart path (5 MiB, parts of 5 MiB).
fn two_part_upload() -> serde_json::Value {
    json!({
        "bucket": "b",
        "file_name": "big",
        "source": {"text": "a".repeat(5 * 1024 * 1024)},
        "transfer": {"multipart_threshold_mib": 5, "part_size_mib": 5},
    })
}

#[tokio::test]
async fn a_disguised_error_is_not_a_completed_upload() {
    let mut cases = disguised_errors();
    cases.push(("another document", "<CopyObjectResult/>".to_owned()));
    for (how, body) in cases {
        let server = multipart_store(move || Answer::xml(body.clone())).await;
        let err = failure(&server.context(), "upload_file", two_part_upload()).await;
        let expected = if how == "another document" {
            ErrorKind::Server
        } else {
            ErrorKind::AccessDenied
        };
        assert_eq!(err.kind(), expected, "{how}: {}", err.to_json());
    }
}

/// A transient error in a `200 OK` answer to CompleteMultipartUpload is tried again as the one
/// table of S3 codes says (here `RequestTimeout`), and the upload completes.
#[tokio::test]
async fn a_transient_error_in_a_200_completion_is_tried_again() {
    let completions = Arc::new(AtomicUsize::new(0));
    let seen = completions.clone();
    let server = multipart_store(move || match seen.fetch_add(1, Ordering::SeqCst) {
        0 => Answer::xml(
            "<Error><Code>RequestTimeout</Code><Message>Your socket connection to the \
             server was not read from or written to within the timeout period.</Message>\
             </Error>",
        ),
        _ => Answer::xml(
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>big</Key>\
             <ETag>\"e-1\"</ETag></CompleteMultipartUploadResult>",
        ),
    })
    .await;
    let output = run(&server.context(), "upload_file", two_part_upload())
        .await
        .expect("the completion was tried again");
    assert_eq!(completions.load(Ordering::SeqCst), 2, "{output}");
}

// ---- 14: endpoint URLs ------------------------------------------------------------------------

#[test]
fn an_invalid_endpoint_url_never_repeats_its_password() {
    for url in [
        "http://user:secret@host name",
        "http://user:secret@[::1",
        "user:secret@host:9000",
        "http://user:secret@host:99999",
        "ftp://user:secret@host",
        "http://user:secret@host/path",
    ] {
        let connection = connector_core::Connection::new("AK", "SK").with_endpoint_url(url);
        let Err(err) = Context::new(connection) else {
            panic!("{url} was accepted");
        };
        let text = format!("{} {:?} {}", err.message(), err, err.to_json());
        assert!(!text.contains("secret"), "{url}: {text}");
        assert_eq!(err.field(), Some("connection.endpoint_url"), "{url}");
    }
}

// ---- the body cap ---------------------------------------------------------------------------

#[tokio::test]
async fn an_endless_xml_answer_is_a_server_error() {
    let server = HostileServer::start(|_| {
        Answer::status(200)
            .header("content-type", "application/xml")
            .endless("<ListBucketResult>".repeat(4096))
    })
    .await;
    let err = failure(&server.context(), "list_files", json!({"bucket": "b"})).await;
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
}
