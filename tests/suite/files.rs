//! The file modules (head_file, delete_file, delete_files, copy_file, move_file) driven
//! through the registry by name with JSON: against s3s-fs in-process, against moto where a
//! faithful store is needed (odd keys, per-key refusals), and against a scripted stand-in for
//! answers real stores give only under load (an error inside a 200 answer).

use base64::Engine as _;
use connector_core::{Connection, Context, ErrorKind, Registry, Result};
use futures_util::StreamExt;
use integration_tests::{Moto, SPECIAL_KEYS, TEST_ACCESS_KEY, TEST_SECRET_KEY, TestStore};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Runs module `name` on `connection`.
async fn run_on(connection: &Connection, name: &str, input: Value) -> Result<Value> {
    let ctx = Context::new(connection.clone())?;
    Registry::global().invoke(&ctx, name, input).await
}

/// Runs module `name` on `connection`, panicking with the error if it fails.
async fn ok_on(connection: &Connection, name: &str, input: Value) -> Value {
    match run_on(connection, name, input.clone()).await {
        Ok(output) => output,
        Err(err) => panic!("{name} {input} failed: {}", err.to_json()),
    }
}

/// Uploads `content` (base64) under `key` with Upload File; `extra` adds fields.
async fn put_on(connection: &Connection, bucket: &str, key: &str, content: &[u8], extra: Value) {
    let (folder, file_name) = key.split_at(key.rfind('/').map_or(0, |i| i + 1));
    let mut input = json!({"bucket": bucket, "folder": folder, "file_name": file_name,
                           "source": {"base64": b64(content)}});
    if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), extra) {
        input.extend(extra);
    }
    ok_on(connection, "upload_file", input).await;
}

/// The content of `key`, read back with Get File.
async fn content_on(connection: &Connection, bucket: &str, key: &str) -> Vec<u8> {
    let got = ok_on(
        connection,
        "get_file",
        json!({"bucket": bucket, "key": key}),
    )
    .await;
    base64::engine::general_purpose::STANDARD
        .decode(got["content_base64"].as_str().unwrap())
        .unwrap()
}

/// Whether `key` exists, by Get File Metadata (any error other than not_found fails).
async fn exists_on(connection: &Connection, bucket: &str, key: &str) -> bool {
    match run_on(
        connection,
        "head_file",
        json!({"bucket": bucket, "key": key}),
    )
    .await
    {
        Ok(head) => head["exists"] == true,
        Err(err) if err.kind() == ErrorKind::NotFound => false,
        Err(err) => panic!("head_file {key:?}: {}", err.to_json()),
    }
}

/// Every key of a bucket, by List Files.
async fn all_keys_on(connection: &Connection, bucket: &str) -> Vec<String> {
    let listing = ok_on(
        connection,
        "list_files",
        json!({"bucket": bucket, "recursive": true}),
    )
    .await;
    listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn head_file_reports_metadata_and_missing_keys() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("meta").await;
    put_on(
        &c,
        "meta",
        "docs/report.txt",
        b"twelve bytes",
        json!({"content_type": "text/plain", "metadata": {"author": "someone"},
               "headers": {"Cache-Control": "max-age=60",
                           "Content-Disposition": "attachment; filename=\"r.txt\"",
                           "Content-Language": "en", "Expires": "Wed, 21 Oct 2026 07:28:00 GMT"}}),
    )
    .await;
    let head = t
        .ok(
            "head_file",
            json!({"bucket": "meta", "key": "docs/report.txt"}),
        )
        .await;
    assert_eq!(head["exists"], true);
    assert_eq!(head["bucket"], "meta");
    assert_eq!(head["key"], "docs/report.txt");
    assert_eq!(head["size"], 12);
    assert_eq!(head["content_type"], "text/plain");
    assert_eq!(head["etag"], "c91fa94e14cf2fa5474beceff788c0dc");
    assert_eq!(head["metadata"], json!({"author": "someone"}));
    assert_eq!(head["storage_class"], "STANDARD");
    assert_eq!(head["cache_control"], "max-age=60");
    assert_eq!(
        head["content_disposition"],
        "attachment; filename=\"r.txt\""
    );
    assert_eq!(head["content_language"], "en");
    assert_eq!(head["expires"], "2026-10-21T07:28:00Z");
    let modified = head["last_modified"].as_str().unwrap();
    assert!(
        modified.starts_with("20") && modified.ends_with('Z'),
        "{modified}"
    );
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "meta", "key": "docs/report.txt"}),
        )
        .await;
    assert_eq!(head["etag"], got["etag"]);

    let err = t
        .run(
            "head_file",
            json!({"bucket": "meta", "key": "docs/missing.txt"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());
    assert_eq!(err.status(), Some(404));
    assert!(
        err.message().contains("\"docs/missing.txt\""),
        "{}",
        err.message()
    );
    assert!(err.message().contains("\"meta\""), "{}", err.message());
    let err = t
        .run("head_file", json!({"bucket": "absent", "key": "a.txt"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn delete_file_removes_one_file() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("del").await;
    put_on(&c, "del", "a/b.txt", b"x", json!({})).await;
    put_on(&c, "del", "a/keep.txt", b"y", json!({})).await;
    let deleted = t
        .ok("delete_file", json!({"bucket": "del", "key": "a/b.txt"}))
        .await;
    assert_eq!(
        deleted,
        json!({"bucket": "del", "key": "a/b.txt", "deleted": true, "delete_marker": false})
    );
    assert!(!exists_on(&c, "del", "a/b.txt").await);
    assert!(exists_on(&c, "del", "a/keep.txt").await);
    // S3 answers success for a key that does not exist.
    let again = t
        .ok("delete_file", json!({"bucket": "del", "key": "a/b.txt"}))
        .await;
    assert_eq!(again["deleted"], true);
    let err = t
        .run("delete_file", json!({"bucket": "absent", "key": "a"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("NoSuchBucket"));
}

#[tokio::test]
async fn delete_files_deletes_in_batches_of_a_thousand() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("many").await;
    let total = 1050;
    let keys: Vec<String> = (0..total).map(|i| format!("d/f{i:04} x.txt")).collect();
    futures_util::stream::iter(&keys)
        .map(|key| put_on(&c, "many", key, b"x", json!({})))
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    assert_eq!(all_keys_on(&c, "many").await.len(), total);

    // Duplicates are deleted once.
    let mut input_keys = keys.clone();
    input_keys.extend(keys[..10].iter().cloned());
    let before = t.requests();
    let out = t
        .ok(
            "delete_files",
            json!({"bucket": "many", "keys": input_keys}),
        )
        .await;
    assert_eq!(
        t.requests() - before,
        2,
        "1,050 keys take two DeleteObjects requests"
    );
    assert_eq!(out["bucket"], "many");
    assert_eq!(out["deleted_count"], total);
    assert_eq!(out["failed_count"], 0);
    assert_eq!(out["failed"], json!([]));
    let mut deleted: Vec<String> = out["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    deleted.sort();
    assert_eq!(deleted, keys);
    assert!(all_keys_on(&c, "many").await.is_empty());
}

/// Keys XML cannot carry (control characters, carriage returns) are deleted one by one, and
/// the others still in one batch.
#[tokio::test]
async fn delete_files_deletes_keys_xml_cannot_carry_one_by_one() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("ctl").await;
    let keys = [
        "plain.txt",
        "tab\tand\nnewline.txt",
        "bell\u{7}.txt",
        "carriage\rreturn.txt",
    ];
    for key in keys {
        put_on(&c, "ctl", key, key.as_bytes(), json!({})).await;
        assert!(exists_on(&c, "ctl", key).await, "{key:?}");
    }
    let before = t.requests();
    let out = t
        .ok("delete_files", json!({"bucket": "ctl", "keys": keys}))
        .await;
    assert_eq!(t.requests() - before, 3, "one batch and two single deletes");
    assert_eq!(out["deleted_count"], 4);
    assert_eq!(out["failed_count"], 0);
    for key in keys {
        assert!(!exists_on(&c, "ctl", key).await, "{key:?} is still there");
    }
}

/// A store that refuses some keys (moto with a bucket policy denying s3:DeleteObject under
/// `locked/`): the module succeeds and lists them, or fails with fail_on_refusal.
#[tokio::test]
async fn delete_files_reports_refused_keys_on_moto() {
    let Some(moto) = Moto::start() else { return };
    let c = moto.connection();
    moto.ok("create_bucket", json!({"bucket": "guarded"})).await;
    let keys = [
        "free/a.txt",
        "locked/b.txt",
        "free/c d.txt",
        "locked/e+f.txt",
    ];
    for key in keys {
        put_on(&c, "guarded", key, b"x", json!({})).await;
    }
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::guarded/locked/*"}]});
    moto.ok(
        "make_api_call",
        json!({"method": "PUT", "url": "/guarded?policy", "body": policy.to_string()}),
    )
    .await;

    let out = moto
        .ok("delete_files", json!({"bucket": "guarded", "keys": keys}))
        .await;
    assert_eq!(out["deleted_count"], 2);
    assert_eq!(out["deleted"], json!(["free/a.txt", "free/c d.txt"]));
    assert_eq!(out["failed_count"], 2);
    let failed = out["failed"].as_array().unwrap();
    assert_eq!(failed[0]["key"], "locked/b.txt");
    assert_eq!(failed[1]["key"], "locked/e+f.txt");
    for failure in failed {
        assert_eq!(failure["code"], "AccessDenied");
        assert!(!failure["message"].as_str().unwrap().is_empty());
    }
    let mut left = all_keys_on(&c, "guarded").await;
    left.sort();
    assert_eq!(left, ["locked/b.txt", "locked/e+f.txt"]);

    // Every key refused: still an output, not an error.
    let out = moto
        .ok(
            "delete_files",
            json!({"bucket": "guarded", "keys": ["locked/b.txt"]}),
        )
        .await;
    assert_eq!(out["deleted_count"], 0);
    assert_eq!(out["failed_count"], 1);

    // Unless asked to fail.
    let err = run_on(
        &c,
        "delete_files",
        json!({"bucket": "guarded", "keys": ["locked/b.txt", "free/x"], "fail_on_refusal": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.to_json());
    assert!(err.message().contains("1 of 2 files"), "{}", err.message());
    assert!(err.message().contains("locked/b.txt"), "{}", err.message());
}

/// What s3s-fs cannot show (it stores keys as paths, and deletes from any bucket name):
/// a missing key with a leading '/', and deleting from a bucket that does not exist.
#[tokio::test]
async fn missing_keys_and_buckets_on_moto() {
    let Some(moto) = Moto::start() else { return };
    let c = moto.connection();
    moto.ok("create_bucket", json!({"bucket": "exact"})).await;
    put_on(&c, "exact", "docs/report.txt", b"x", json!({})).await;
    let err = run_on(
        &c,
        "head_file",
        json!({"bucket": "exact", "key": "/docs/report.txt"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());
    assert!(err.message().contains("leading '/'"), "{}", err.message());
    let err = run_on(
        &c,
        "delete_files",
        json!({"bucket": "absent", "keys": ["a", "b"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());
    assert_eq!(err.code(), Some("NoSuchBucket"));
}

#[tokio::test]
async fn copy_file_keeps_or_replaces_metadata() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("src").await;
    t.bucket("dst").await;
    let content: Vec<u8> = (0..=255u8).collect();
    put_on(
        &c,
        "src",
        "in/data.bin",
        &content,
        json!({"content_type": "application/x-test", "metadata": {"origin": "lab", "n": "1"},
               "headers": {"Cache-Control": "no-cache"}}),
    )
    .await;

    // Copy (the default): across buckets, metadata kept.
    let copied = t
        .ok(
            "copy_file",
            json!({"source_bucket": "src", "source_key": "in/data.bin",
                   "destination_bucket": "dst", "destination_key": "out/copy.bin"}),
        )
        .await;
    assert_eq!(copied["bucket"], "dst");
    assert_eq!(copied["key"], "out/copy.bin");
    let source_head = t
        .ok("head_file", json!({"bucket": "src", "key": "in/data.bin"}))
        .await;
    assert_eq!(copied["etag"], source_head["etag"]);
    assert!(copied["last_modified"].as_str().unwrap().starts_with("20"));
    let head = t
        .ok("head_file", json!({"bucket": "dst", "key": "out/copy.bin"}))
        .await;
    assert_eq!(head["content_type"], "application/x-test");
    assert_eq!(head["metadata"], json!({"origin": "lab", "n": "1"}));
    assert_eq!(head["cache_control"], "no-cache");
    assert_eq!(content_on(&c, "dst", "out/copy.bin").await, content);
    assert!(exists_on(&c, "src", "in/data.bin").await);

    // Replace: in the same bucket (no destination bucket), new type and metadata.
    t.ok(
        "copy_file",
        json!({"source_bucket": "src", "source_key": "in/data.bin",
               "destination_key": "in/replaced.bin", "metadata_directive": "replace",
               "content_type": "application/json", "metadata": {"stage": "two"},
               "content_disposition": "inline"}),
    )
    .await;
    let head = t
        .ok(
            "head_file",
            json!({"bucket": "src", "key": "in/replaced.bin"}),
        )
        .await;
    assert_eq!(head["content_type"], "application/json");
    assert_eq!(head["metadata"], json!({"stage": "two"}));
    assert_eq!(head["content_disposition"], "inline");
    assert!(head.get("cache_control").is_none(), "{head}");
    assert_eq!(content_on(&c, "src", "in/replaced.bin").await, content);

    // Replace in place, without a content type: the metadata changes, the type is kept.
    t.ok(
        "copy_file",
        json!({"source_bucket": "src", "source_key": "in/data.bin",
               "destination_key": "in/data.bin", "metadata_directive": "replace",
               "metadata": {"reviewed": "yes"}}),
    )
    .await;
    let head = t
        .ok("head_file", json!({"bucket": "src", "key": "in/data.bin"}))
        .await;
    assert_eq!(head["metadata"], json!({"reviewed": "yes"}));
    assert_eq!(head["content_type"], "application/x-test");
    assert_eq!(content_on(&c, "src", "in/data.bin").await, content);
}

/// Copies keys with special characters across buckets and reads them back byte for byte.
async fn copy_special_keys(c: &Connection, extra_keys: &[&str]) {
    ok_on(c, "create_bucket", json!({"bucket": "special-src"})).await;
    ok_on(c, "create_bucket", json!({"bucket": "special-dst"})).await;
    for (i, key) in SPECIAL_KEYS.iter().chain(extra_keys).enumerate() {
        let content = format!("content {i} of {key}").into_bytes();
        put_on(
            c,
            "special-src",
            key,
            &content,
            json!({"metadata": {"i": i.to_string()}}),
        )
        .await;
        let copied = ok_on(
            c,
            "copy_file",
            json!({"source_bucket": "special-src", "source_key": key,
                   "destination_bucket": "special-dst", "destination_key": key}),
        )
        .await;
        assert_eq!(copied["key"], *key);
        assert_eq!(content_on(c, "special-dst", key).await, content, "{key}");
        let head = ok_on(c, "head_file", json!({"bucket": "special-dst", "key": key})).await;
        assert_eq!(head["metadata"]["i"], i.to_string(), "{key}");
        // And within the bucket, under another name.
        let renamed = format!("{key}.copy");
        ok_on(
            c,
            "copy_file",
            json!({"source_bucket": "special-dst", "source_key": key,
                   "destination_key": renamed}),
        )
        .await;
        assert_eq!(
            content_on(c, "special-dst", &renamed).await,
            content,
            "{key}"
        );
    }
}

#[tokio::test]
async fn copy_file_handles_special_keys() {
    let t = TestStore::start().await;
    copy_special_keys(&t.connection(), &[]).await;
}

/// On a store that keeps keys exactly (moto), including leading slashes: the listing shows
/// exactly the keys copied, and Delete Files deletes exactly them.
#[tokio::test]
async fn copy_file_handles_special_keys_on_moto() {
    let Some(moto) = Moto::start() else { return };
    let c = moto.connection();
    let extra = [
        "/leading-slash.txt",
        "//two-leading.txt",
        "trailing space .txt",
    ];
    copy_special_keys(&c, &extra).await;
    let mut expected: Vec<String> = SPECIAL_KEYS
        .iter()
        .chain(&extra)
        .flat_map(|k| [k.to_string(), format!("{k}.copy")])
        .collect();
    expected.sort();
    let mut listed = all_keys_on(&c, "special-dst").await;
    listed.sort();
    assert_eq!(listed, expected);
    // Delete Files carries every one of these keys in its XML exactly.
    let out = ok_on(
        &c,
        "delete_files",
        json!({"bucket": "special-dst", "keys": listed}),
    )
    .await;
    assert_eq!(out["deleted_count"], expected.len(), "{out}");
    assert!(all_keys_on(&c, "special-dst").await.is_empty());
}

#[tokio::test]
async fn copy_file_from_a_missing_source_is_not_found() {
    let t = TestStore::start().await;
    t.bucket("src").await;
    let err = t
        .run(
            "copy_file",
            json!({"source_bucket": "src", "source_key": "no/such.txt",
                   "destination_key": "copy.txt"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());
    assert!(
        err.message().contains("\"no/such.txt\""),
        "{}",
        err.message()
    );
    put_on(&t.connection(), "src", "a.txt", b"a", json!({})).await;
    let err = t
        .run(
            "copy_file",
            json!({"source_bucket": "src", "source_key": "a.txt",
                   "destination_bucket": "absent", "destination_key": "a.txt"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("NoSuchBucket"));
}

#[tokio::test]
async fn move_file_moves_and_leaves_nothing_behind() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("inbox").await;
    t.bucket("archive").await;
    put_on(
        &c,
        "inbox",
        "new/a b+c.pdf",
        b"%PDF-1.7",
        json!({"metadata": {"client": "x"}}),
    )
    .await;
    let moved = t
        .ok(
            "move_file",
            json!({"source_bucket": "inbox", "source_key": "new/a b+c.pdf",
                   "destination_bucket": "archive", "destination_key": "2026/a b+c.pdf"}),
        )
        .await;
    assert_eq!(moved["bucket"], "archive");
    assert_eq!(moved["key"], "2026/a b+c.pdf");
    assert_eq!(moved["source_bucket"], "inbox");
    assert_eq!(moved["source_key"], "new/a b+c.pdf");
    assert_eq!(moved["source_deleted"], true);
    assert!(moved["etag"].is_string());
    assert!(!exists_on(&c, "inbox", "new/a b+c.pdf").await);
    assert_eq!(
        content_on(&c, "archive", "2026/a b+c.pdf").await,
        b"%PDF-1.7"
    );
    let head = t
        .ok(
            "head_file",
            json!({"bucket": "archive", "key": "2026/a b+c.pdf"}),
        )
        .await;
    assert_eq!(head["metadata"], json!({"client": "x"}));

    // A rename within the bucket.
    t.ok(
        "move_file",
        json!({"source_bucket": "archive", "source_key": "2026/a b+c.pdf",
               "destination_key": "2026/renamed.pdf"}),
    )
    .await;
    assert_eq!(all_keys_on(&c, "archive").await, ["2026/renamed.pdf"]);
}

#[tokio::test]
async fn move_file_leaves_the_source_when_the_copy_fails() {
    let t = TestStore::start().await;
    let c = t.connection();
    t.bucket("inbox").await;
    put_on(&c, "inbox", "keep.txt", b"precious", json!({})).await;
    let err = t
        .run(
            "move_file",
            json!({"source_bucket": "inbox", "source_key": "keep.txt",
                   "destination_bucket": "absent", "destination_key": "keep.txt"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());
    assert_eq!(err.code(), Some("NoSuchBucket"));
    assert!(err.message().contains("not moved"), "{}", err.message());
    assert!(exists_on(&c, "inbox", "keep.txt").await);
    assert_eq!(content_on(&c, "inbox", "keep.txt").await, b"precious");

    let err = t
        .run(
            "move_file",
            json!({"source_bucket": "inbox", "source_key": "missing.txt",
                   "destination_key": "elsewhere.txt"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.message().contains("\"missing.txt\""),
        "{}",
        err.message()
    );
}

/// A stand-in for S3 that answers each request with the next scripted answer and records
/// what it received (request line and headers).
struct Scripted {
    connection: Connection,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    async fn start(answers: Vec<(u16, &'static str)>) -> Scripted {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let task = tokio::spawn(async move {
            let mut answers = answers.into_iter();
            while let Ok((mut socket, _)) = listener.accept().await {
                let Some(head) = read_request(&mut socket).await else {
                    continue;
                };
                record.lock().unwrap().push(head);
                let (status, body) = answers.next().unwrap_or((500, ""));
                let answer = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-type: application/xml\r\n\
                     x-amz-request-id: SCRIPTED\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        Scripted {
            connection: Connection::new(TEST_ACCESS_KEY, TEST_SECRET_KEY)
                .with_endpoint_url(&endpoint),
            seen,
            task,
        }
    }

    /// The request lines and headers received so far.
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request (its body is read and dropped); returns its request line and headers.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        let n = socket.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while data.len() < end + length {
        let n = socket.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    }
    Some(head)
}

const COPY_RESULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult><LastModified>2026-03-04T05:06:07.000Z</LastModified><ETag>"0123abcd"</ETag></CopyObjectResult>"#;
const ERROR_IN_200: &str = "  \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
    <Message>We encountered an internal error. Please try again.</Message><RequestId>R200</RequestId></Error>";

/// The answer to the HEAD of a copy's source (a small file: copied by CopyObject).
const SOURCE_HEAD: (u16, &str) = (200, "");

/// A copy answered 200 with an `<Error>` body fails (retryably), and Move File then deletes
/// nothing: its only requests are the source's HEAD and the copy.
#[tokio::test]
async fn an_error_inside_a_200_answer_fails_the_copy_and_the_move() {
    let s = Scripted::start(vec![
        SOURCE_HEAD,
        (200, ERROR_IN_200),
        SOURCE_HEAD,
        (200, ERROR_IN_200),
    ])
    .await;
    let input = json!({"source_bucket": "src", "source_key": "a b+c.txt",
                       "destination_bucket": "dst", "destination_key": "d.txt"});
    let err = run_on(&s.connection, "copy_file", input.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert_eq!(err.code(), Some("InternalError"));
    assert_eq!(err.request_id(), Some("R200"));
    assert!(err.is_retryable());
    let err = run_on(&s.connection, "move_file", input).await.unwrap_err();
    assert_eq!(err.code(), Some("InternalError"));
    assert!(
        err.message().contains("nothing was deleted"),
        "{}",
        err.message()
    );
    let seen = s.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    for pair in seen.chunks(2) {
        assert!(
            pair[0].starts_with("HEAD /src/a%20b%2Bc.txt "),
            "{}",
            pair[0]
        );
        let request = &pair[1];
        assert!(request.starts_with("PUT /dst/d.txt "), "{request}");
        assert!(
            request
                .to_ascii_lowercase()
                .contains("x-amz-copy-source: /src/a%20b%2bc.txt\r\n"),
            "{request}"
        );
    }
}

/// When the copy is made but deleting the source fails, the error says the file is in both
/// places, and names both.
#[tokio::test]
async fn move_file_says_when_the_file_is_in_both_places() {
    let denied = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    let s = Scripted::start(vec![SOURCE_HEAD, (200, COPY_RESULT), (403, denied)]).await;
    let err = run_on(
        &s.connection,
        "move_file",
        json!({"source_bucket": "src", "source_key": "in/a.txt",
               "destination_bucket": "dst", "destination_key": "out/a.txt"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.to_json());
    let message = err.message();
    assert!(message.contains("both places"), "{message}");
    for name in ["\"src\"", "\"in/a.txt\"", "\"dst\"", "\"out/a.txt\""] {
        assert!(message.contains(name), "{name} not in {message}");
    }
    let seen = s.seen();
    assert!(seen[2].starts_with("DELETE /src/in/a.txt "), "{seen:?}");

    // The copy's own answer when all goes well.
    let s = Scripted::start(vec![SOURCE_HEAD, (200, COPY_RESULT)]).await;
    let copied = ok_on(
        &s.connection,
        "copy_file",
        json!({"source_bucket": "src", "source_key": "k", "source_version_id": "v/1+",
               "destination_key": "k2", "storage_class": "STANDARD_IA", "acl": "bucket-owner-full-control"}),
    )
    .await;
    assert_eq!(
        copied,
        json!({"bucket": "src", "key": "k2", "etag": "0123abcd",
               "last_modified": "2026-03-04T05:06:07.000Z",
               "method": "copy_object", "parts": 0, "size": 0})
    );
    let request = s.seen()[1].to_ascii_lowercase();
    assert!(
        request.contains("x-amz-copy-source: /src/k?versionid=v%2f1%2b\r\n"),
        "{request}"
    );
    assert!(
        request.contains("x-amz-storage-class: standard_ia\r\n"),
        "{request}"
    );
    assert!(
        request.contains("x-amz-acl: bucket-owner-full-control\r\n"),
        "{request}"
    );
}

/// A source over 5 GiB: S3's refusal comes with a hint about the single-copy limit.
#[tokio::test]
async fn copying_more_than_5_gib_is_explained() {
    let too_large = "<Error><Code>InvalidRequest</Code><Message>The specified copy source is larger \
        than the maximum allowable size for a copy source: 5368709120</Message></Error>";
    let s = Scripted::start(vec![SOURCE_HEAD, (400, too_large)]).await;
    let err = run_on(
        &s.connection,
        "move_file",
        json!({"source_bucket": "src", "source_key": "huge.bin", "destination_key": "big.bin"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err.to_json());
    assert!(err.message().contains("5 GiB"), "{}", err.message());
    assert_eq!(s.seen().len(), 2, "nothing is deleted after a failed copy");
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let t = TestStore::start().await;
    let before = t.requests();
    let copy = |extra: Value| {
        let mut input = json!({"source_bucket": "src", "source_key": "a.txt",
                               "destination_key": "b.txt"});
        if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), extra) {
            input.extend(extra);
        }
        input
    };
    let too_many: Vec<String> = (0..100_001).map(|i| format!("k{i}")).collect();
    let cases = [
        ("head_file", json!({"bucket": "b", "key": ""}), "key"),
        ("head_file", json!({"bucket": "b", "key": "a/../b"}), "key"),
        (
            "head_file",
            json!({"bucket": "b", "key": "k", "version_id": ""}),
            "version_id",
        ),
        ("head_file", json!({"bucket": "b c", "key": "k"}), "bucket"),
        ("delete_file", json!({"bucket": "b"}), "key"),
        ("delete_file", json!({"bucket": "b", "key": "./k"}), "key"),
        ("delete_files", json!({"bucket": "b"}), "keys"),
        ("delete_files", json!({"bucket": "b", "keys": []}), "keys"),
        (
            "delete_files",
            json!({"bucket": "b", "keys": ["ok", "a/./b"]}),
            "keys.1",
        ),
        (
            "delete_files",
            json!({"bucket": "b", "keys": ["ok", ""]}),
            "keys.1",
        ),
        (
            "delete_files",
            json!({"bucket": "b", "keys": too_many}),
            "keys",
        ),
        (
            "delete_files",
            json!({"bucket": "b", "versions": [{"key": "a", "version_id": ""}]}),
            "versions.0.version_id",
        ),
        (
            "delete_files",
            json!({"bucket": "b", "versions": [{"key": "a"}]}),
            "versions.0.version_id",
        ),
        (
            "delete_files",
            json!({"bucket": "Not/A/Bucket", "keys": ["a"]}),
            "bucket",
        ),
        (
            "copy_file",
            copy(json!({"content_type": "text/plain"})),
            "content_type",
        ),
        (
            "copy_file",
            copy(json!({"metadata": {"a": "b"}})),
            "metadata",
        ),
        (
            "copy_file",
            copy(json!({"cache_control": "no-cache", "metadata_directive": "copy"})),
            "cache_control",
        ),
        (
            "copy_file",
            copy(json!({"metadata_directive": "replace", "metadata": {"note": "naïve"}})),
            "metadata.note",
        ),
        (
            "copy_file",
            copy(json!({"metadata_directive": "replace", "expires": "tomorrow"})),
            "expires",
        ),
        (
            "copy_file",
            copy(json!({"metadata_directive": "merge"})),
            "metadata_directive",
        ),
        (
            "copy_file",
            copy(json!({"storage_class": "FAST"})),
            "storage_class",
        ),
        ("copy_file", copy(json!({"acl": "everyone"})), "acl"),
        (
            "copy_file",
            copy(json!({"destination_key": "a.txt"})),
            "destination_key",
        ),
        (
            "copy_file",
            copy(json!({"destination_bucket": "src", "destination_key": "a.txt"})),
            "destination_key",
        ),
        (
            "copy_file",
            copy(json!({"source_bucket": "s3://src"})),
            "source_bucket",
        ),
        (
            "copy_file",
            copy(json!({"destination_bucket": ""})),
            "destination_bucket",
        ),
        (
            "copy_file",
            copy(json!({"source_key": "a/../b"})),
            "source_key",
        ),
        (
            "copy_file",
            copy(json!({"source_version_id": ""})),
            "source_version_id",
        ),
        (
            "move_file",
            json!({"source_bucket": "b", "source_key": "a", "destination_key": "a"}),
            "destination_key",
        ),
        (
            "move_file",
            json!({"source_bucket": "b", "source_key": "a", "destination_bucket": "b",
                   "destination_key": "a"}),
            "destination_key",
        ),
        (
            "move_file",
            json!({"source_bucket": "b", "source_key": "a", "destination_key": "c",
                   "metadata_directive": "copy"}),
            "metadata_directive",
        ),
        (
            "move_file",
            json!({"source_bucket": "b", "source_key": "a"}),
            "destination_key",
        ),
    ];
    for (module, input, field) in cases {
        let err = t.run(module, input.clone()).await.unwrap_err();
        let shown = format!(
            "{module} {}: {}",
            input.to_string().chars().take(300).collect::<String>(),
            err.to_json()
        );
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{shown}");
        assert_eq!(err.field(), Some(field), "{shown}");
        assert!(err.message().len() > 10, "{shown}");
    }
    assert_eq!(
        t.requests(),
        before,
        "the server saw a request for invalid input"
    );

    // What is allowed onto itself: replacing metadata, changing the storage class, restoring
    // an old version.
    for allowed in [
        copy(json!({"destination_key": "a.txt", "metadata_directive": "replace"})),
        copy(json!({"destination_key": "a.txt", "storage_class": "STANDARD_IA"})),
        copy(json!({"destination_key": "a.txt", "source_version_id": "v1"})),
    ] {
        Registry::global().check("copy_file", &allowed).unwrap();
    }
}
