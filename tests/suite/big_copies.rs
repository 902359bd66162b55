//! Copies and moves in parts (issue 11, step 8): with the multipart threshold lowered to 5 MiB,
//! a 12 MiB source is copied by parallel UploadPartCopy on s3s-fs, moto and ministack; the copy
//! must be the source byte for byte, with its metadata kept or replaced. On moto (which computes
//! CRC32C and CRC64NVME itself) a full-object checksum is carried and checked; on ministack
//! (which honours `x-amz-copy-source-if-match` on parts) a source overwritten between two parts
//! fails the copy as a conflict and leaves nothing behind. Tags are carried where the store
//! keeps them. A scripted store answers part
//! checksums as Amazon S3 does (no local server does), for the combined full-object check.

use connector_core::ops::copy::CopyObject;
use connector_core::ops::multipart_copy::{self, CopyOptions};
use connector_core::ops::transfer::{MIB, Progress};
use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::wire::request::PayloadChecksum;
use connector_core::wire::xml;
use connector_core::{Body, Connection, Context, ErrorKind, Registry, Result, Target};
use integration_tests::hostile_server::{Answer, HostileServer, Seen};
use integration_tests::{Ministack, Moto, TestStore};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// 12 MiB + 3 bytes (three parts of 5 MiB, the last short), varying with `seed`.
fn data(seed: u32) -> Vec<u8> {
    (0..12 * MIB as u32 + 3)
        .map(|i| (i.wrapping_mul(31).wrapping_add(seed) % 251) as u8)
        .collect()
}

/// Copies in parts from 5 MiB, in parts of 5 MiB, two at a time.
fn small_parts() -> Value {
    json!({"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 2})
}

async fn run(connection: &Connection, name: &str, input: Value) -> Result<Value> {
    let ctx = Context::new(connection.clone())?;
    Registry::global().invoke(&ctx, name, input).await
}

async fn ok(connection: &Connection, name: &str, input: Value) -> Value {
    match run(connection, name, input.clone()).await {
        Ok(output) => output,
        Err(err) => panic!("{name} {input} failed: {}", err.to_json()),
    }
}

/// PUTs `content` with `headers` (and a checksum of `algorithm` when given).
async fn put(
    connection: &Connection,
    bucket: &str,
    key: &str,
    content: &[u8],
    headers: &[(&str, &str)],
    algorithm: Option<ChecksumAlgorithm>,
) {
    let ctx = Context::new(connection.clone()).unwrap();
    let mut request = ctx
        .client()
        .request(Method::PUT, Target::object(bucket, key))
        .body(Body::from_bytes(content.to_vec()));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    if let Some(algorithm) = algorithm {
        request = request.checksum(PayloadChecksum::Header(algorithm));
    }
    request.send().await.expect("put the source");
}

/// The content of `key`, downloaded to a file and read back.
async fn content(connection: &Connection, bucket: &str, key: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("got.bin");
    ok(
        connection,
        "get_file",
        json!({"bucket": bucket, "key": key, "save_to": path}),
    )
    .await;
    std::fs::read(&path).unwrap()
}

async fn head(connection: &Connection, bucket: &str, key: &str) -> Result<Value> {
    run(
        connection,
        "head_file",
        json!({"bucket": bucket, "key": key}),
    )
    .await
}

/// The tags of `key` (GetObjectTagging) as JSON, `None` when the store keeps no tags.
async fn tags(connection: &Connection, bucket: &str, key: &str) -> Option<Value> {
    let ctx = Context::new(connection.clone()).unwrap();
    let answer = ctx
        .client()
        .request(Method::GET, Target::object(bucket, key))
        .query("tagging", "")
        .send()
        .await;
    let body = match answer {
        Ok(response) => response.bytes_capped(1 << 20, "tags").await.unwrap(),
        Err(err) if err.code() == Some("NotImplemented") => return None,
        Err(err) => panic!("tags of {key}: {}", err.to_json()),
    };
    let tags = xml::to_json(&String::from_utf8_lossy(&body)).unwrap();
    Some(tags["Tagging"]["TagSet"].clone())
}

/// What a store does with object tags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tags {
    /// It keeps none (s3s-fs: GetObjectTagging is `NotImplemented`).
    None,
    /// It keeps them, also those given on CreateMultipartUpload (moto, Amazon S3).
    Kept,
    /// It keeps those of a PutObject but ignores `x-amz-tagging` on CreateMultipartUpload
    /// (ministack 1.5.33).
    NotOnCreate,
}

/// The same copies on any store: in parts with the metadata (and tags, where the store keeps
/// them) kept, then replaced, a small file still by CopyObject, and a move in parts.
async fn copies_in_parts(c: &Connection, store_tags: Tags) {
    ok(c, "create_bucket", json!({"bucket": "big-src"})).await;
    ok(c, "create_bucket", json!({"bucket": "big-dst"})).await;
    let bytes = data(1);
    put(
        c,
        "big-src",
        "in/big.bin",
        &bytes,
        &[
            ("content-type", "application/x-test"),
            ("cache-control", "no-cache"),
            ("content-disposition", "attachment; filename=\"big.bin\""),
            ("x-amz-meta-origin", "lab"),
            ("x-amz-meta-n", "1"),
            ("x-amz-tagging", "team=lab&note=a%20b"),
        ],
        None,
    )
    .await;
    let source_tags = tags(c, "big-src", "in/big.bin").await;
    if store_tags == Tags::None {
        assert_eq!(source_tags, None);
    } else {
        let tag_set = source_tags.as_ref().unwrap();
        assert_eq!(tag_set["Tag"].as_array().unwrap().len(), 2, "{tag_set}");
    }

    // Metadata kept (directive copy): the source's headers go on the new upload.
    let copied = ok(
        c,
        "copy_file",
        json!({"source_bucket": "big-src", "source_key": "in/big.bin",
               "destination_bucket": "big-dst", "destination_key": "out/copy.bin",
               "transfer": small_parts()}),
    )
    .await;
    assert_eq!(copied["method"], "multipart_copy", "{copied}");
    assert_eq!(copied["parts"], 3, "{copied}");
    assert_eq!(copied["size"], bytes.len(), "{copied}");
    assert!(copied["etag"].as_str().unwrap().ends_with("-3"), "{copied}");
    assert!(
        content(c, "big-dst", "out/copy.bin").await == bytes,
        "the copy differs"
    );
    let head_copy = head(c, "big-dst", "out/copy.bin").await.unwrap();
    assert_eq!(
        head_copy["content_type"], "application/x-test",
        "{head_copy}"
    );
    assert_eq!(head_copy["cache_control"], "no-cache", "{head_copy}");
    assert_eq!(
        head_copy["content_disposition"], "attachment; filename=\"big.bin\"",
        "{head_copy}"
    );
    assert_eq!(head_copy["metadata"], json!({"origin": "lab", "n": "1"}));
    // Tags are carried as CopyObject carries them (`x-amz-tagging` on the upload's creation).
    let copy_tags = tags(c, "big-dst", "out/copy.bin").await;
    if store_tags == Tags::NotOnCreate {
        assert_eq!(copy_tags, Some(json!("")));
    } else {
        assert_eq!(copy_tags, source_tags);
    }

    // Metadata replaced: only the given ones; the content type kept when not given.
    let replaced = ok(
        c,
        "copy_file",
        json!({"source_bucket": "big-src", "source_key": "in/big.bin",
               "destination_bucket": "big-dst", "destination_key": "out/replaced.bin",
               "metadata_directive": "replace", "metadata": {"stage": "two"},
               "content_language": "en-GB", "transfer": small_parts()}),
    )
    .await;
    assert_eq!(replaced["method"], "multipart_copy", "{replaced}");
    let head_replaced = head(c, "big-dst", "out/replaced.bin").await.unwrap();
    assert_eq!(head_replaced["metadata"], json!({"stage": "two"}));
    assert_eq!(head_replaced["content_type"], "application/x-test");
    assert_eq!(head_replaced["content_language"], "en-GB");
    assert!(
        head_replaced.get("cache_control").is_none(),
        "{head_replaced}"
    );
    assert!(content(c, "big-dst", "out/replaced.bin").await == bytes);

    // At or under the threshold: one CopyObject, as before.
    put(c, "big-src", "small.txt", b"small", &[], None).await;
    let small = ok(
        c,
        "copy_file",
        json!({"source_bucket": "big-src", "source_key": "small.txt",
               "destination_key": "small.copy", "transfer": small_parts()}),
    )
    .await;
    assert_eq!(small["method"], "copy_object", "{small}");
    assert_eq!(small["parts"], 0, "{small}");

    // A move in parts: the copy, then the source deleted.
    let moved = ok(
        c,
        "move_file",
        json!({"source_bucket": "big-src", "source_key": "in/big.bin",
               "destination_bucket": "big-dst", "destination_key": "moved/big.bin",
               "transfer": small_parts()}),
    )
    .await;
    assert_eq!(moved["method"], "multipart_copy", "{moved}");
    assert_eq!(moved["source_deleted"], true);
    let gone = head(c, "big-src", "in/big.bin").await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{}", gone.to_json());
    assert!(content(c, "big-dst", "moved/big.bin").await == bytes);
    let head_moved = head(c, "big-dst", "moved/big.bin").await.unwrap();
    assert_eq!(head_moved["metadata"], json!({"origin": "lab", "n": "1"}));
}

#[tokio::test]
async fn copies_in_parts_on_s3s_fs() {
    let t = TestStore::start().await;
    copies_in_parts(&t.connection(), Tags::None).await;
}

#[tokio::test]
async fn copies_in_parts_on_moto() {
    let Some(moto) = Moto::start() else { return };
    copies_in_parts(&moto.connection(), Tags::Kept).await;
}

#[tokio::test]
async fn copies_in_parts_on_ministack() {
    let Some(ministack) = Ministack::start() else {
        return;
    };
    copies_in_parts(&ministack.connection("us-east-1"), Tags::NotOnCreate).await;
}

/// moto computes a multipart object's full-object CRC itself (with `crc32c` and `awscrt`): the
/// copy asks for the source's algorithm and type, and the copy's checksum is the source's.
#[tokio::test]
async fn a_full_object_checksum_is_carried_on_moto() {
    let Some(moto) = Moto::start() else { return };
    let c = moto.connection();
    ok(&c, "create_bucket", json!({"bucket": "sums"})).await;
    for algorithm in [ChecksumAlgorithm::Crc64Nvme, ChecksumAlgorithm::Crc32c] {
        let bytes = data(7);
        let expected = algorithm.digest(&bytes).to_base64();
        let key = format!("{algorithm}.bin");
        put(&c, "sums", &key, &bytes, &[], Some(algorithm)).await;
        let copied = ok(
            &c,
            "copy_file",
            json!({"source_bucket": "sums", "source_key": key,
                   "destination_key": format!("{key}.copy"), "transfer": small_parts()}),
        )
        .await;
        assert_eq!(copied["method"], "multipart_copy", "{copied}");
        assert_eq!(
            copied["checksum"],
            json!({"algorithm": algorithm.as_str(), "type": "FULL_OBJECT",
                   "value": expected, "verified": true}),
            "{algorithm}: {copied}"
        );
        assert!(content(&c, "sums", &format!("{key}.copy")).await == bytes);
    }
}

/// A progress sink that overwrites the source (from another thread, with its own runtime)
/// when the first part has been copied, before the next part is asked for.
struct OverwriteAfterFirstPart {
    connection: Connection,
    done: AtomicBool,
}

impl Progress for OverwriteAfterFirstPart {
    fn start(&self, _what: &str, _total: Option<u64>) {}

    fn advance(&self, _bytes: u64) {
        if self.done.swap(true, Ordering::SeqCst) {
            return;
        }
        let connection = self.connection.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(put(&connection, "racy", "src.bin", &data(2), &[], None));
        })
        .join()
        .unwrap();
    }

    fn finish(&self) {}
}

/// ministack judges `x-amz-copy-source-if-match` on every part (s3s-fs and moto ignore it):
/// a source overwritten after the first part fails the second one with 412, which is a
/// `conflict`, and the upload is aborted: no copy, no upload left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_changed_between_parts_is_a_conflict_on_ministack() {
    let Some(ministack) = Ministack::start() else {
        return;
    };
    let c = ministack.connection("us-east-1");
    ok(&c, "create_bucket", json!({"bucket": "racy"})).await;
    put(&c, "racy", "src.bin", &data(1), &[], None).await;
    let ctx = Context::new(c.clone()).unwrap();
    let copy = CopyObject {
        source_bucket: "racy",
        source_key: "src.bin",
        bucket: "racy",
        key: "dst.bin",
        ..CopyObject::default()
    };
    let source = copy.head_source(ctx.client()).await.unwrap();
    let options = CopyOptions {
        multipart_threshold: 5 * MIB,
        part_size: 5 * MIB,
        concurrency: 1,
    };
    let progress = OverwriteAfterFirstPart {
        connection: c.clone(),
        done: AtomicBool::new(false),
    };
    let err = multipart_copy::copy(ctx.client(), &copy, &source, &options, Some(&progress))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{}", err.to_json());
    assert!(
        err.message().contains("the source changed during the copy"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("aborted"), "{}", err.message());
    let absent = head(&c, "racy", "dst.bin").await.unwrap_err();
    assert_eq!(absent.kind(), ErrorKind::NotFound, "{}", absent.to_json());
    let uploads = ctx
        .client()
        .request(Method::GET, Target::bucket("racy"))
        .query("uploads", "")
        .send()
        .await
        .unwrap()
        .bytes_capped(1 << 20, "the upload listing")
        .await
        .unwrap();
    let uploads = String::from_utf8_lossy(&uploads);
    assert!(!uploads.contains("<UploadId>"), "{uploads}");
    // The source is the new one, untouched by the failed copy.
    assert!(content(&c, "racy", "src.bin").await == data(2));
}

/// How the scripted store below misbehaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quirk {
    /// None: it answers as Amazon S3 does.
    Honest,
    /// Part 2's answer names a CRC that is not its bytes'.
    WrongPartChecksum,
    /// Part 2 is first answered `200 OK` with an `<Error>` (S3 does so when a copy fails after
    /// it started answering).
    ErrorInside200,
    /// Parts answer no checksum, and Complete answers a full-object CRC that is not the
    /// source's.
    CopyChecksumDiffers,
}

/// A stand-in for Amazon S3 where no local server does what it does: UploadPartCopy answers
/// carry the part's CRC32C (of the upload's algorithm), and Complete answers the object's
/// checksum. The source is [`data`]`(1)` with a full-object CRC32C.
async fn store_with_part_checksums(quirk: Quirk) -> HostileServer {
    let bytes = Arc::new(data(1));
    let whole = ChecksumAlgorithm::Crc32c.digest(&bytes).to_base64();
    let error_sent = AtomicBool::new(false);
    HostileServer::start(move |request: &Seen| {
        let part = request.query_value("partNumber");
        match (request.method.as_str(), request.has_query("uploadId")) {
            ("HEAD", _) => Answer::status(200)
                .header("content-length", bytes.len().to_string())
                .header("etag", "\"source-etag\"")
                .header("x-amz-checksum-crc32c", whole.clone())
                .header("x-amz-checksum-type", "FULL_OBJECT"),
            ("POST", false) => Answer::xml(
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>copy</Key>\
                 <UploadId>u1</UploadId></InitiateMultipartUploadResult>",
            ),
            ("PUT", true) => {
                if quirk == Quirk::ErrorInside200
                    && part == Some("2")
                    && !error_sent.swap(true, Ordering::SeqCst)
                {
                    return Answer::xml(
                        "<Error><Code>InternalError</Code><Message>We encountered an \
                         internal error. Please try again.</Message></Error>",
                    );
                }
                let range = request.header("x-amz-copy-source-range").unwrap();
                let (first, last) = range
                    .strip_prefix("bytes=")
                    .and_then(|range| range.split_once('-'))
                    .unwrap();
                let (first, last): (usize, usize) = (first.parse().unwrap(), last.parse().unwrap());
                let mut crc = ChecksumAlgorithm::Crc32c
                    .digest(&bytes[first..=last])
                    .to_base64();
                if quirk == Quirk::WrongPartChecksum && part == Some("2") {
                    crc = ChecksumAlgorithm::Crc32c.digest(b"other").to_base64();
                }
                let mut element = format!("<ChecksumCRC32C>{crc}</ChecksumCRC32C>");
                if quirk == Quirk::CopyChecksumDiffers {
                    element.clear();
                }
                Answer::xml(format!(
                    "<CopyPartResult><ETag>\"p{}\"</ETag>{element}</CopyPartResult>",
                    part.unwrap()
                ))
            }
            ("POST", true) => {
                let mut crc = request.header("x-amz-checksum-crc32c").unwrap_or("none");
                if quirk == Quirk::CopyChecksumDiffers {
                    crc = "AAAAAA==";
                }
                Answer::xml(format!(
                    "<CompleteMultipartUploadResult><ETag>\"c-3\"</ETag>\
                     <ChecksumCRC32C>{crc}</ChecksumCRC32C><ChecksumType>FULL_OBJECT</ChecksumType>\
                     </CompleteMultipartUploadResult>"
                ))
            }
            ("GET", false) if request.has_query("tagging") => Answer::xml(
                "<Tagging><TagSet><Tag><Key>k</Key><Value>v w</Value></Tag></TagSet></Tagging>",
            ),
            ("DELETE", true) => Answer::status(204),
            _ => Answer::status(400),
        }
    })
    .await
}

fn scripted_copy() -> Value {
    json!({"source_bucket": "b", "source_key": "big.bin", "destination_key": "copy",
           "transfer": small_parts()})
}

/// The parts' CRCs combine into the source's: sent on Complete for S3 to check, and the copy
/// is reported verified.
#[tokio::test]
async fn part_checksums_are_combined_and_checked() {
    let server = store_with_part_checksums(Quirk::Honest).await;
    let expected = ChecksumAlgorithm::Crc32c.digest(&data(1)).to_base64();
    let copied = ok(&server.connection(), "copy_file", scripted_copy()).await;
    assert_eq!(
        copied["checksum"],
        json!({"algorithm": "CRC32C", "type": "FULL_OBJECT", "value": expected,
               "verified": true}),
        "{copied}"
    );
    let seen = server.seen();
    let create = seen.iter().find(|r| r.has_query("uploads")).unwrap();
    assert_eq!(create.header("x-amz-checksum-algorithm"), Some("CRC32C"));
    assert_eq!(create.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
    assert_eq!(create.header("x-amz-tagging"), Some("k=v%20w"));
    let parts: Vec<_> = seen.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(parts.len(), 3);
    for part in &parts {
        assert_eq!(
            part.header("x-amz-copy-source-if-match"),
            Some("\"source-etag\"")
        );
    }
    let complete = seen
        .iter()
        .find(|r| r.method == "POST" && r.has_query("uploadId"))
        .unwrap();
    assert_eq!(
        complete.header("x-amz-checksum-crc32c"),
        Some(expected.as_str())
    );
    assert_eq!(complete.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
    let xml = String::from_utf8_lossy(&complete.body);
    assert_eq!(xml.matches("<ChecksumCRC32C>").count(), 3, "{xml}");
}

/// Parts whose CRCs do not make the source's: the upload is aborted before it is completed.
#[tokio::test]
async fn parts_that_do_not_make_the_source_are_not_completed() {
    let server = store_with_part_checksums(Quirk::WrongPartChecksum).await;
    let err = run(&server.connection(), "copy_file", scripted_copy())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(
        err.message().contains("the copy is not the source"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("aborted"), "{}", err.message());
    let seen = server.seen();
    assert!(
        !seen
            .iter()
            .any(|r| r.method == "POST" && r.has_query("uploadId"))
    );
    assert!(
        seen.iter()
            .any(|r| r.method == "DELETE" && r.has_query("uploadId"))
    );
}

/// A part answered `200 OK` with a transient `<Error>` is copied again.
#[tokio::test]
async fn a_part_answered_with_an_error_inside_a_200_is_copied_again() {
    let server = store_with_part_checksums(Quirk::ErrorInside200).await;
    let copied = ok(&server.connection(), "copy_file", scripted_copy()).await;
    assert_eq!(copied["parts"], 3, "{copied}");
    let seen = server.seen();
    let second: Vec<_> = seen
        .iter()
        .filter(|r| r.method == "PUT" && r.query_value("partNumber") == Some("2"))
        .collect();
    assert_eq!(second.len(), 2);
    assert!(!seen.iter().any(|r| r.method == "DELETE"));
}

/// Without part checksums, the copy's checksum is the one S3 answers for the finished copy: one
/// that is not the source's is an error (the copy is not deleted: it was completed).
#[tokio::test]
async fn a_copy_whose_checksum_is_not_the_sources_is_an_error() {
    let server = store_with_part_checksums(Quirk::CopyChecksumDiffers).await;
    let err = run(&server.connection(), "copy_file", scripted_copy())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(!err.is_retryable());
    assert!(
        err.message().contains("the copy is not the source"),
        "{}",
        err.message()
    );
    let seen = server.seen();
    let complete = seen
        .iter()
        .find(|r| r.method == "POST" && r.has_query("uploadId"))
        .unwrap();
    assert_eq!(complete.header("x-amz-checksum-crc32c"), None);
    assert!(!String::from_utf8_lossy(&complete.body).contains("Checksum"));
}

/// What a store does with a copy's `checksum_algorithm`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AskedChecksum {
    /// It ignores `x-amz-checksum-algorithm` on CopyObject and keeps the source's checksum
    /// (s3s-fs 0.14.1 copies the file and its stored checksum as they are).
    Ignored,
    /// It computes the asked algorithm for the copy, in one request or in parts (moto).
    Computed,
}

/// `checksum_algorithm` on copy_file and move_file: the source has a CRC32C; one CopyObject
/// asks for SHA-256, a copy in parts for CRC64NVME, a move for CRC32. Where the store computes
/// them, each copy answers (and keeps) a checksum of the asked algorithm, the value of the
/// source's bytes; where it ignores the header, the output claims no checksum rather than the
/// source's CRC32C under the asked name.
async fn copies_get_the_checksum_asked_for(c: &Connection, store: AskedChecksum) {
    ok(c, "create_bucket", json!({"bucket": "asked"})).await;
    let bytes = data(11);
    put(
        c,
        "asked",
        "src.bin",
        &bytes,
        &[],
        Some(ChecksumAlgorithm::Crc32c),
    )
    .await;
    let crc32c = ChecksumAlgorithm::Crc32c.digest(&bytes).to_base64();

    let single = ok(
        c,
        "copy_file",
        json!({"source_bucket": "asked", "source_key": "src.bin",
               "destination_key": "sha.bin", "checksum_algorithm": "SHA256"}),
    )
    .await;
    assert_eq!(single["method"], "copy_object", "{single}");
    let in_parts = ok(
        c,
        "copy_file",
        json!({"source_bucket": "asked", "source_key": "src.bin",
               "destination_key": "crc64.bin", "checksum_algorithm": "CRC64NVME",
               "transfer": small_parts()}),
    )
    .await;
    assert_eq!(in_parts["method"], "multipart_copy", "{in_parts}");
    ok(
        c,
        "copy_file",
        json!({"source_bucket": "asked", "source_key": "src.bin", "destination_key": "tmp.bin"}),
    )
    .await;
    let moved = ok(
        c,
        "move_file",
        json!({"source_bucket": "asked", "source_key": "tmp.bin",
               "destination_key": "crc32.bin", "checksum_algorithm": "CRC32"}),
    )
    .await;
    for key in ["sha.bin", "crc64.bin", "crc32.bin"] {
        assert!(content(c, "asked", key).await == bytes, "{key}");
    }

    let asked = [
        ("sha.bin", &single, ChecksumAlgorithm::Sha256),
        ("crc64.bin", &in_parts, ChecksumAlgorithm::Crc64Nvme),
        ("crc32.bin", &moved, ChecksumAlgorithm::Crc32),
    ];
    for (key, output, algorithm) in asked {
        let stored = head(c, "asked", key).await.unwrap()["checksum"].clone();
        match store {
            AskedChecksum::Computed => {
                let expected = algorithm.digest(&bytes).to_base64();
                assert_eq!(
                    output["checksum"],
                    json!({"algorithm": algorithm.as_str(), "type": "FULL_OBJECT",
                           "value": expected, "verified": false}),
                    "{key}: {output}"
                );
                assert_eq!(stored["algorithm"], algorithm.as_str(), "{key}: {stored}");
                assert_eq!(stored["value"], expected, "{key}: {stored}");
            }
            AskedChecksum::Ignored => {
                assert_eq!(output.get("checksum"), None, "{key}: {output}");
                // What the store kept: the source's CRC32C (the copy in parts, which s3s-fs
                // gives no checksum, has none).
                if key != "crc64.bin" {
                    assert_eq!(stored["algorithm"], "CRC32C", "{key}: {stored}");
                    assert_eq!(stored["value"], crc32c, "{key}: {stored}");
                }
            }
        }
    }
}

#[tokio::test]
async fn copies_get_the_checksum_asked_for_on_s3s_fs() {
    let t = TestStore::start().await;
    copies_get_the_checksum_asked_for(&t.connection(), AskedChecksum::Ignored).await;
}

#[tokio::test]
async fn copies_get_the_checksum_asked_for_on_moto() {
    let Some(moto) = Moto::start() else { return };
    copies_get_the_checksum_asked_for(&moto.connection(), AskedChecksum::Computed).await;
}
