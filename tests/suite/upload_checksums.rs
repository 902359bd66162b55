//! Uploads with flexible checksums (issue 11, step 5): single PUTs and multipart uploads from a
//! file (aws-chunked, the checksum in a trailer) and from memory (the checksum in a header).
//! moto computes a multipart object's COMPOSITE or FULL_OBJECT checksum itself from the bytes
//! it stored, so our `Uploaded.checksum` is compared with what moto answers to a HEAD with
//! checksum mode; ministack verifies every part's checksum, the part checksums listed on
//! completion and the object size stated there; s3s-fs still takes multipart uploads (it
//! ignores their checksums). A file changed during an upload fails it, and nothing is stored.

use connector_core::ops::transfer::{MIB, Progress, TransferOptions};
use connector_core::ops::upload::{self, PutTarget, Uploaded};
use connector_core::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use connector_core::wire::client::ClientOptions;
use connector_core::wire::payload::{ChecksumPolicy, ChecksumSettings};
use connector_core::{Connection, Credentials, Endpoint, ErrorKind, S3Client, Target};
use integration_tests::hostile_server::{Answer, HostileServer};
use integration_tests::{Ministack, Moto, TestStore};
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Deterministic bytes that do not repeat within a part.
fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// Multipart from 5 MiB, in 5 MiB parts (S3's smallest), two at a time.
fn small_parts() -> TransferOptions {
    TransferOptions {
        multipart_threshold: 5 * MIB,
        part_size: 5 * MIB,
        concurrency: 2,
    }
}

/// 11 MiB and a bit: three parts of [`small_parts`].
const MULTIPART_LEN: usize = 11 * 1024 * 1024 + 4321;

/// A client of the store `connection` points at, with these checksum settings.
fn client(connection: &Connection, checksums: ChecksumSettings) -> S3Client {
    let endpoint = connection.endpoint_url.as_deref().expect("a test endpoint");
    let endpoint = Endpoint::parse_custom(endpoint).expect("a test endpoint");
    let region = connection.region.clone();
    let keys = Arc::new(Credentials::new(
        connection.access_key_id.clone(),
        connection.secret_access_key.expose(),
        None,
    ));
    let options = ClientOptions {
        checksums,
        ..ClientOptions::default()
    };
    S3Client::from_parts(endpoint, region, keys, options).expect("a client")
}

/// Settings asking composite checksums of CRC32/CRC32C multipart uploads.
fn composite() -> ChecksumSettings {
    ChecksumSettings {
        full_object_multipart: false,
        ..ChecksumSettings::default()
    }
}

fn target(bucket: &str, key: &str, algorithm: Option<ChecksumAlgorithm>) -> PutTarget {
    PutTarget {
        bucket: bucket.into(),
        key: key.into(),
        headers: Default::default(),
        checksum_algorithm: algorithm,
    }
}

async fn create_bucket(client: &S3Client, bucket: &str) {
    client
        .request(Method::PUT, Target::bucket(bucket))
        .send()
        .await
        .expect("create the bucket");
}

/// The object's checksum of `algorithm` and its type, as the store answers a GET with checksum
/// mode (moto 5.2.5 leaves the `-N` of a composite value out of its HEAD answer).
async fn stored_checksum(
    client: &S3Client,
    bucket: &str,
    key: &str,
    algorithm: ChecksumAlgorithm,
) -> (Option<String>, Option<String>) {
    let head = client
        .request(Method::GET, Target::object(bucket, key))
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await
        .unwrap_or_else(|err| panic!("HEAD {key}: {}", err.to_json()));
    (
        head.header(algorithm.header_name()).map(str::to_owned),
        head.header("x-amz-checksum-type").map(str::to_owned),
    )
}

/// The bytes of the object.
async fn read_back(client: &S3Client, bucket: &str, key: &str) -> Vec<u8> {
    client
        .request(Method::GET, Target::object(bucket, key))
        .send()
        .await
        .unwrap()
        .bytes_capped(64 << 20, "the object")
        .await
        .unwrap()
        .to_vec()
}

/// Uploads `bytes` as a file to `key`, checking the size and the bytes stored.
async fn upload_file(
    client: &S3Client,
    bucket: &str,
    key: &str,
    algorithm: Option<ChecksumAlgorithm>,
    bytes: &[u8],
) -> Uploaded {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let uploaded = upload::upload_path(
        client,
        &target(bucket, key, algorithm),
        file.path(),
        &small_parts(),
        None,
    )
    .await
    .unwrap_or_else(|err| panic!("upload {key}: {}", err.to_json()));
    assert_eq!(uploaded.size, bytes.len() as u64);
    assert!(
        read_back(client, bucket, key).await == bytes,
        "{key}: other bytes stored"
    );
    uploaded
}

/// Uploads `bytes` from memory (as standard input would be read) to `key`.
async fn upload_memory(
    client: &S3Client,
    bucket: &str,
    key: &str,
    algorithm: Option<ChecksumAlgorithm>,
    bytes: &[u8],
) -> Uploaded {
    let uploaded = upload::upload_reader(
        client,
        &target(bucket, key, algorithm),
        std::io::Cursor::new(bytes.to_vec()),
        &small_parts(),
        None,
    )
    .await
    .unwrap_or_else(|err| panic!("upload {key}: {}", err.to_json()));
    assert_eq!(uploaded.size, bytes.len() as u64);
    assert!(
        read_back(client, bucket, key).await == bytes,
        "{key}: other bytes stored"
    );
    uploaded
}

/// The checksum an upload reports, checked to be the one its bytes make: for a full-object
/// checksum the whole content's digest, for a composite one the digest of the part digests.
fn check_reported(
    uploaded: &Uploaded,
    algorithm: ChecksumAlgorithm,
    kind: ChecksumType,
    bytes: &[u8],
) -> Checksum {
    let checksum = uploaded.checksum.clone().expect("a checksum reported");
    assert_eq!(checksum.algorithm(), algorithm);
    assert_eq!(checksum.kind(), kind, "{checksum}");
    let expected = match kind {
        ChecksumType::FullObject => Checksum::full_object(&algorithm.digest(bytes)),
        ChecksumType::Composite => {
            let parts: Vec<_> = bytes
                .chunks(5 * MIB as usize)
                .map(|part| algorithm.digest(part))
                .collect();
            Checksum::composite(algorithm, &parts).unwrap()
        }
    };
    assert_eq!(
        checksum, expected,
        "the reported checksum is not the bytes'"
    );
    checksum
}

/// moto computes the checksum of a multipart object itself (COMPOSITE: over the parts' CRCs;
/// FULL_OBJECT: over the whole object): what it answers to a HEAD with checksum mode is what
/// our upload reported, for CRC32, CRC32C and CRC64NVME, composite and full-object, from a file
/// (aws-chunked parts) and from memory (header checksums); a single PUT too.
#[tokio::test]
async fn moto_computes_the_multipart_checksums_we_report() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let bytes = data(MULTIPART_LEN, 7);
    let cases = [
        (ChecksumAlgorithm::Crc32, ChecksumType::FullObject),
        (ChecksumAlgorithm::Crc32, ChecksumType::Composite),
        (ChecksumAlgorithm::Crc32c, ChecksumType::FullObject),
        (ChecksumAlgorithm::Crc32c, ChecksumType::Composite),
        (ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject),
        (ChecksumAlgorithm::Sha256, ChecksumType::Composite),
    ];
    for (algorithm, kind) in cases {
        let settings = match kind {
            ChecksumType::FullObject => ChecksumSettings::default(),
            ChecksumType::Composite => composite(),
        };
        let client = client(&moto.connection(), settings);
        create_bucket(&client, "sums").await;
        for (source, memory) in [("file", false), ("memory", true)] {
            let key = format!("{algorithm}/{kind}/{source}");
            let uploaded = if memory {
                upload_memory(&client, "sums", &key, Some(algorithm), &bytes).await
            } else {
                upload_file(&client, "sums", &key, Some(algorithm), &bytes).await
            };
            assert_eq!(uploaded.parts, 3, "{key}");
            let ours = check_reported(&uploaded, algorithm, kind, &bytes);
            let (value, stored_kind) = stored_checksum(&client, "sums", &key, algorithm).await;
            eprintln!("moto {key}: ours {ours}, moto {value:?} {stored_kind:?}");
            assert_eq!(value.as_deref(), Some(ours.to_string().as_str()), "{key}");
            assert_eq!(stored_kind.as_deref(), Some(kind.as_str()), "{key}");
        }
        // A single PUT: the whole body's checksum.
        let key = format!("{algorithm}/single");
        let small = &bytes[..100_000];
        let uploaded = upload_file(&client, "sums", &key, Some(algorithm), small).await;
        let ours = check_reported(&uploaded, algorithm, ChecksumType::FullObject, small);
        let (value, _) = stored_checksum(&client, "sums", &key, algorithm).await;
        assert_eq!(value.as_deref(), Some(ours.to_string().as_str()), "{key}");
    }
}

/// ministack (composite checksums only) verifies each part's CRC32C as it arrives (aws-chunked
/// from a file, in a header from memory), checks the part checksums listed on completion
/// against the ones it stored and the object size stated there, and answers the composite
/// value, which we check and report; a HEAD answers the same.
#[tokio::test]
async fn ministack_takes_a_composite_crc32c_multipart_upload() {
    let Some(server) = Ministack::start() else {
        return;
    };
    let client = client(&server.connection("us-east-1"), composite());
    create_bucket(&client, "sums").await;
    let bytes = data(MULTIPART_LEN, 3);
    for (source, memory) in [("file", false), ("memory", true)] {
        let key = format!("composite/{source}");
        // The connection's algorithm: CRC32C.
        let uploaded = if memory {
            upload_memory(&client, "sums", &key, None, &bytes).await
        } else {
            upload_file(&client, "sums", &key, None, &bytes).await
        };
        let ours = check_reported(
            &uploaded,
            ChecksumAlgorithm::Crc32c,
            ChecksumType::Composite,
            &bytes,
        );
        assert!(ours.to_string().ends_with("-3"), "{ours}");
        let (value, kind) = stored_checksum(&client, "sums", &key, ChecksumAlgorithm::Crc32c).await;
        assert_eq!(value.as_deref(), Some(ours.to_string().as_str()), "{key}");
        assert_eq!(kind.as_deref(), Some("COMPOSITE"));
    }
}

/// s3s-fs takes multipart uploads with checksums (it ignores them on parts and completion, and
/// answers none for the object): the upload_file module reports the checksum it computed, the
/// bytes are stored; a text upload (memory, a header checksum s3s-fs verifies) reports the
/// text's checksum, and what s3s-fs stored is the same.
#[tokio::test]
async fn s3s_fs_takes_uploads_with_checksums() {
    let t = TestStore::start().await;
    t.bucket("sums").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(MULTIPART_LEN, 5);
    let source = dir.path().join("big.bin");
    std::fs::write(&source, &bytes).unwrap();
    let up = t
        .ok(
            "upload_file",
            json!({"bucket": "sums", "file_name": "big.bin", "source": {"path": source},
                   "transfer": {"multipart_threshold_mib": 5, "part_size_mib": 5}}),
        )
        .await;
    assert_eq!(up["parts"], 3, "{up}");
    let whole = ChecksumAlgorithm::Crc32c.digest(&bytes).to_base64();
    assert_eq!(
        up["checksum"],
        json!({"algorithm": "CRC32C", "value": whole, "type": "FULL_OBJECT"}),
        "{up}"
    );
    let text = "a text uploaded from memory";
    let up = t
        .ok(
            "upload_file",
            json!({"bucket": "sums", "file_name": "note.txt", "source": {"text": text},
                   "checksum_algorithm": "SHA256"}),
        )
        .await;
    let sha = ChecksumAlgorithm::Sha256
        .digest(text.as_bytes())
        .to_base64();
    assert_eq!(
        up["checksum"],
        json!({"algorithm": "SHA256", "value": sha, "type": "FULL_OBJECT"}),
        "{up}"
    );
    let (stored, _) = stored_checksum(
        t.ctx.client(),
        "sums",
        "note.txt",
        ChecksumAlgorithm::Sha256,
    )
    .await;
    assert_eq!(stored.as_deref(), Some(sha.as_str()));

    // The when_required policy: no checksum, the uploads go as they always did (Content-MD5,
    // the multipart ETag checked), and none is reported.
    let classic = client(
        &t.connection(),
        ChecksumSettings {
            policy: ChecksumPolicy::WhenRequired,
            ..ChecksumSettings::default()
        },
    );
    let uploaded = upload_file(&classic, "sums", "classic.bin", None, &bytes).await;
    assert_eq!(uploaded.checksum, None);
    assert!(
        uploaded
            .etag
            .as_deref()
            .is_some_and(|etag| etag.ends_with("-3"))
    );
    let uploaded = upload_memory(&classic, "sums", "classic.txt", None, text.as_bytes()).await;
    assert_eq!(uploaded.checksum, None);
}

/// Rewrites the file (same size, a later modification time) when the first part is done.
struct ChangeFileAfterFirstPart {
    path: std::path::PathBuf,
    changed: AtomicBool,
}

impl Progress for ChangeFileAfterFirstPart {
    fn start(&self, _: &str, _: Option<u64>) {}

    fn advance(&self, _: u64) {
        if self.changed.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut bytes = std::fs::read(&self.path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&self.path, &bytes).unwrap();
        let file = std::fs::File::options()
            .write(true)
            .open(&self.path)
            .unwrap();
        let modified = file.metadata().unwrap().modified().unwrap();
        file.set_modified(modified + std::time::Duration::from_secs(5))
            .unwrap();
    }

    fn finish(&self) {}
}

/// A file changed while its multipart upload runs (after the first part, before the rest are
/// read) fails the upload with an `invalid_input` error that names the change, the upload is
/// aborted and no object is stored; with checksums and the classic way alike.
#[tokio::test]
async fn a_file_changed_during_an_upload_is_refused() {
    let t = TestStore::start().await;
    t.bucket("changing").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(MULTIPART_LEN, 9);
    for (key, settings) in [
        ("with-checksums", ChecksumSettings::default()),
        (
            "classic",
            ChecksumSettings {
                policy: ChecksumPolicy::WhenRequired,
                ..ChecksumSettings::default()
            },
        ),
    ] {
        let client = client(&t.connection(), settings);
        let path = dir.path().join(key);
        std::fs::write(&path, &bytes).unwrap();
        let progress = ChangeFileAfterFirstPart {
            path: path.clone(),
            changed: AtomicBool::new(false),
        };
        let options = TransferOptions {
            concurrency: 1,
            ..small_parts()
        };
        let err = upload::upload_path(
            &client,
            &target("changing", key, None),
            Path::new(&path),
            &options,
            Some(&progress),
        )
        .await
        .expect_err("a file changed during its upload was uploaded");
        eprintln!("{key}: {}", err.to_json());
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err.to_json());
        assert!(!err.is_retryable());
        let message = err.to_string();
        assert!(message.contains("changed while"), "{message}");
        assert!(message.contains("aborted"), "{message}");
        let head = client
            .request(Method::HEAD, Target::object("changing", key))
            .send()
            .await;
        assert!(head.is_err(), "{key}: an object was stored");
    }
}

/// A scripted store that takes a multipart upload and answers the checksums `wrong` says:
/// `"part"`: part 2 echoed with another CRC32C than was sent; `"object"`: the completion
/// answering another composite value; anything else: honest answers.
async fn scripted_store(wrong: &'static str) -> HostileServer {
    HostileServer::start(move |request| {
        let sent = request
            .header("x-amz-checksum-crc32c")
            .unwrap_or("")
            .to_owned();
        match request.method.as_str() {
            "POST" if request.has_query("uploads") => Answer::xml(
                "<InitiateMultipartUploadResult><UploadId>up1</UploadId>\
                 </InitiateMultipartUploadResult>",
            ),
            "PUT" if request.has_query("partNumber") => {
                let echoed = match (wrong, request.query_value("partNumber")) {
                    ("part", Some("2")) => "AAAAAA==".to_owned(),
                    _ => sent,
                };
                let number = request.query_value("partNumber").unwrap_or("0");
                let etag = format!("\"part-{number}\"");
                Answer::status(200)
                    .header("etag", etag)
                    .header("x-amz-checksum-crc32c", echoed)
            }
            "POST" if request.has_query("uploadId") => {
                let value = match wrong {
                    "object" => "AAAAAA==-2",
                    _ => "",
                };
                Answer::xml(format!(
                    "<CompleteMultipartUploadResult><ETag>\"x\"</ETag>\
                     <ChecksumCRC32C>{value}</ChecksumCRC32C></CompleteMultipartUploadResult>"
                ))
            }
            "DELETE" => Answer::status(204),
            _ => Answer::status(400),
        }
    })
    .await
}

/// A part checksum S3 echoes that is not the one sent, or an object checksum it answers that
/// is not the one the parts make, fails the upload (the first aborts it); the completion
/// carried every part's checksum, the checksum type and the object's size.
#[tokio::test]
async fn other_checksums_answered_are_errors() {
    let bytes = data(6 * MIB as usize, 11);
    for wrong in ["part", "object"] {
        let server = scripted_store(wrong).await;
        let client = client(&server.connection(), composite());
        let err = upload::upload_reader(
            &client,
            &target("b", "k", None),
            std::io::Cursor::new(bytes.clone()),
            &small_parts(),
            None,
        )
        .await
        .expect_err("another checksum answered was taken");
        eprintln!("{wrong}: {}", err.to_json());
        assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
        assert!(!err.is_retryable());
        let seen = server.seen();
        let aborted = seen.iter().any(|request| request.method == "DELETE");
        assert_eq!(aborted, wrong == "part", "{wrong}");
        if wrong == "object" {
            let complete = seen
                .iter()
                .find(|request| request.method == "POST" && request.has_query("uploadId"))
                .expect("a completion");
            let xml = String::from_utf8_lossy(&complete.body);
            for part in [&bytes[..5 * MIB as usize], &bytes[5 * MIB as usize..]] {
                let value = ChecksumAlgorithm::Crc32c.digest(part).to_base64();
                assert!(
                    xml.contains(&format!("<ChecksumCRC32C>{value}</ChecksumCRC32C>")),
                    "{xml}"
                );
            }
            assert_eq!(complete.header("x-amz-checksum-type"), Some("COMPOSITE"));
            assert_eq!(
                complete.header("x-amz-mp-object-size"),
                Some(bytes.len().to_string().as_str())
            );
            assert!(err.to_string().contains("AAAAAA==-2"), "{err}");
        }
    }
}
