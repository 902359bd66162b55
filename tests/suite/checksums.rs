//! Flexible checksums on the send path (issue 11, step 4): a PutObject body sent with its
//! checksum in a header or streamed aws-chunked (signed, signed with trailer, unsigned with
//! trailer) for each of the five algorithms, against s3s-fs (which verifies chunk and trailer
//! signatures and the object's checksum) and ministack (strict aws-chunked framing, checksums
//! verified); the object read back must be the bytes sent, and the checksum S3 answers must be
//! the one we sent. A body changed on the way is refused.

use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::wire::chunked::ChunkedMode;
use connector_core::wire::request::PayloadChecksum;
use connector_core::{Body, Connection, Context, ErrorKind, S3Client, Target};
use integration_tests::fault_proxy::{Fault, FaultProxy, Match};
use integration_tests::{Ministack, Moto, TamperProxy, TestStore};
use reqwest::Method;

/// A marker near the start of the body, for the tamper proxy to change.
const MARKER: &[u8] = b"CHECKSUM-TAMPER-MARKER";

/// 200,000 bytes (three full 64 KiB frames and a short last one), the marker at byte 100.
fn data() -> Vec<u8> {
    let mut data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(31) % 251) as u8)
        .collect();
    data[100..100 + MARKER.len()].copy_from_slice(MARKER);
    data
}

/// The four ways to send a checksum.
fn modes(algorithm: ChecksumAlgorithm) -> [(&'static str, PayloadChecksum); 4] {
    [
        ("header", PayloadChecksum::Header(algorithm)),
        (
            "signed chunks",
            PayloadChecksum::chunked(algorithm, ChunkedMode::Signed),
        ),
        (
            "signed chunks + trailer",
            PayloadChecksum::chunked(algorithm, ChunkedMode::SignedWithTrailer),
        ),
        (
            "unsigned chunks + trailer",
            PayloadChecksum::chunked(algorithm, ChunkedMode::UnsignedWithTrailer),
        ),
    ]
}

/// Whether the checksum reaches the server (in a header or a trailer).
fn sends_checksum(checksum: PayloadChecksum) -> bool {
    match checksum {
        PayloadChecksum::Header(_) => true,
        PayloadChecksum::Chunked { mode, .. } => mode.has_trailer(),
    }
}

/// What a server did with one PUT.
#[derive(Debug)]
struct Outcome {
    /// The checksum the PUT answer carried, if any.
    echoed: Option<String>,
    /// The checksum a HEAD with checksum mode carried, if any.
    stored: Option<String>,
}

/// PUTs `data` (from `body`) with `checksum`, checks the sent checksum is the data's, the bytes
/// read back are the data, and any checksum the server answers is the one sent.
async fn put_and_check(
    client: &S3Client,
    bucket: &str,
    key: &str,
    body: Body,
    data: &[u8],
    checksum: PayloadChecksum,
) -> connector_core::Result<Outcome> {
    let algorithm = checksum.algorithm();
    let expected = algorithm.digest(data).to_base64();
    let answer = client
        .request(Method::PUT, Target::object(bucket, key))
        .body(body)
        .checksum(checksum)
        .send()
        .await?;
    let sent = answer
        .sent_checksum()
        .expect("a checksum was sent")
        .to_base64();
    assert_eq!(sent, expected, "{key}: the checksum sent is not the data's");
    let got = client
        .request(Method::GET, Target::object(bucket, key))
        .send()
        .await?
        .bytes_capped(1 << 20, "the object")
        .await?;
    assert!(got == data, "{key}: the object read back is not the data");
    let echoed = answer.header(algorithm.header_name()).map(str::to_owned);
    if let Some(echoed) = &echoed {
        assert_eq!(echoed, &sent, "{key}: the server answered another checksum");
    }
    let head = client
        .request(Method::HEAD, Target::object(bucket, key))
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await?;
    let stored = head.header(algorithm.header_name()).map(str::to_owned);
    if let Some(stored) = &stored {
        assert_eq!(stored, &sent, "{key}: the server stored another checksum");
    }
    Ok(Outcome { echoed, stored })
}

/// A temporary file holding `data`.
fn file_with(data: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), data).expect("write the file");
    file
}

async fn create_bucket(client: &S3Client, bucket: &str) {
    client
        .request(Method::PUT, Target::bucket(bucket))
        .send()
        .await
        .expect("create the bucket");
}

/// Puts the test data in every mode with every algorithm, from a file and from bytes, into
/// `bucket` of the store `client` talks to (`server` names it in the log), checking each object
/// as [`put_and_check`] does: each case's key, checksum setting and outcome.
async fn put_every_case(
    client: &S3Client,
    bucket: &str,
    server: &str,
) -> Vec<(String, PayloadChecksum, Outcome)> {
    let data = data();
    let file = file_with(&data);
    let mut cases = Vec::new();
    for algorithm in ChecksumAlgorithm::ALL {
        for (mode, checksum) in modes(algorithm) {
            for (source, body) in [
                ("file", Body::file(file.path()).await.unwrap()),
                ("bytes", Body::from_bytes(data.clone())),
            ] {
                let key = format!("{}/{mode}/{source}", algorithm.as_str());
                let outcome = put_and_check(client, bucket, &key, body, &data, checksum)
                    .await
                    .unwrap_or_else(|err| panic!("{server} {key}: {}", err.to_json()));
                eprintln!("{server} {key}: {outcome:?}");
                cases.push((key, checksum, outcome));
            }
        }
    }
    cases
}

/// s3s-fs takes every mode with every algorithm, from a file and from bytes: it verifies the
/// chunk and trailer signatures and the checksum, and answers the checksum on the PUT and HEAD.
#[tokio::test]
async fn s3s_fs_takes_every_mode_and_algorithm() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "checksums").await;
    for (key, checksum, outcome) in put_every_case(client, "checksums", "s3s-fs").await {
        // s3s-fs keeps the checksum it verified and answers it (signed chunks without a
        // trailer send none: the checksum is only computed).
        if sends_checksum(checksum) {
            assert!(outcome.stored.is_some(), "{key}: no checksum stored");
            assert!(outcome.echoed.is_some(), "{key}: no checksum answered");
        }
    }
}

/// An empty body in each aws-chunked mode (the final frame alone).
#[tokio::test]
async fn s3s_fs_takes_an_empty_chunked_body() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "empty").await;
    for (mode, checksum) in modes(ChecksumAlgorithm::Crc32c) {
        put_and_check(client, "empty", mode, Body::empty(), b"", checksum)
            .await
            .unwrap_or_else(|err| panic!("{mode}: {}", err.to_json()));
    }
}

/// ministack parses aws-chunked strictly, checks chunk signatures and verifies every
/// algorithm's checksum.
#[tokio::test]
async fn ministack_takes_header_and_chunked_checksums() {
    let Some(server) = Ministack::start() else {
        return;
    };
    let ctx = Context::new(server.connection("us-east-1")).unwrap();
    let client = ctx.client();
    create_bucket(client, "checksums").await;
    for (key, checksum, outcome) in put_every_case(client, "checksums", "ministack").await {
        if sends_checksum(checksum) {
            assert!(outcome.stored.is_some(), "{key}: no checksum stored");
        }
    }
}

/// A body byte changed on the way: S3 refuses it, by its checksum (unsigned chunks) or by the
/// chunk signature (signed chunks), and our error says which.
#[tokio::test]
async fn a_body_changed_on_the_way_is_refused() {
    let t = TestStore::start().await;
    create_bucket(t.ctx.client(), "tampered").await;
    let proxy = TamperProxy::start(
        t.store.addr(),
        std::str::from_utf8(MARKER).unwrap(),
        "CHECKSUM-TAMPER-MARKEX",
    )
    .await;
    let ctx = Context::new(t.connection().with_endpoint_url(proxy.endpoint())).unwrap();
    let data = data();
    // s3s-fs 0.14 answers a chunk whose signature does not match with `500 InternalError` while
    // the body is still being sent (its aws-chunked stream fails) and closes the connection, so
    // the client sees that answer or the closed connection: any refusal will do there. An
    // unsigned body is refused by its checksum: `BadDigest`, which our error explains.
    let cases = [
        (
            PayloadChecksum::chunked(ChecksumAlgorithm::Crc32c, ChunkedMode::UnsignedWithTrailer),
            Some("BadDigest"),
        ),
        (
            PayloadChecksum::chunked(ChecksumAlgorithm::Crc32c, ChunkedMode::Signed),
            None,
        ),
        (
            PayloadChecksum::chunked(ChecksumAlgorithm::Sha256, ChunkedMode::SignedWithTrailer),
            None,
        ),
    ];
    for (case, (checksum, code)) in cases.into_iter().enumerate() {
        let key = format!("case-{case}");
        let err = ctx
            .client()
            .request(Method::PUT, Target::object("tampered", &key))
            .body(Body::from_bytes(data.clone()))
            .checksum(checksum)
            .send()
            .await
            .expect_err("a changed body was taken");
        eprintln!("{checksum:?}: {}", err.to_json());
        if let Some(code) = code {
            assert_eq!(err.code(), Some(code), "{checksum:?}: {}", err.to_json());
            // The bytes changed on the way: a network failure, tried again before it is reported.
            assert_eq!(err.kind(), ErrorKind::Network);
            let message = err.to_string();
            assert!(
                message.contains("CRC32C checksum") && message.contains("changed on the way"),
                "{message}"
            );
        }
        let stored = t
            .ctx
            .client()
            .request(Method::HEAD, Target::object("tampered", &key))
            .send()
            .await;
        if code.is_some() {
            // s3s-fs 0.14 writes the object before it compares the trailer's checksum, and
            // leaves it there after answering BadDigest (Amazon S3 and ministack do not).
            eprintln!(
                "s3s-fs after BadDigest: HEAD {:?} (s3s-fs keeps the refused object)",
                stored.as_ref().map(|r| r.status())
            );
        } else {
            assert!(stored.is_err(), "{checksum:?}: a refused object was stored");
        }
    }
}

/// ministack refuses a body changed on the way, sent with a header checksum or unsigned
/// aws-chunked, with BadDigest, and stores nothing.
#[tokio::test]
async fn ministack_refuses_a_changed_unsigned_body() {
    let Some(server) = Ministack::start() else {
        return;
    };
    let connection = server.connection("us-east-1");
    let ctx = Context::new(connection.clone()).unwrap();
    create_bucket(ctx.client(), "tampered").await;
    let endpoint = connection.endpoint_url.clone().expect("an endpoint");
    let addr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("ministack listens on an address");
    let proxy = TamperProxy::start(
        addr,
        std::str::from_utf8(MARKER).unwrap(),
        "CHECKSUM-TAMPER-MARKEX",
    )
    .await;
    let via_proxy = Context::new(connection.with_endpoint_url(proxy.endpoint())).unwrap();
    for (mode, checksum) in modes(ChecksumAlgorithm::Crc64Nvme) {
        if !matches!(mode, "unsigned chunks + trailer" | "header") {
            continue;
        }
        let err = via_proxy
            .client()
            .request(Method::PUT, Target::object("tampered", mode))
            .body(Body::from_bytes(data()))
            .checksum(checksum)
            .send()
            .await
            .expect_err("a changed body was taken");
        eprintln!("ministack {mode}: {}", err.to_json());
        let stored = ctx
            .client()
            .request(Method::HEAD, Target::object("tampered", mode))
            .send()
            .await;
        assert!(stored.is_err(), "{mode}: a refused object was stored");
        // ministack compares the checksum before the signed SHA-256 (header mode): BadDigest.
        assert_eq!(err.code(), Some("BadDigest"), "{}", err.to_json());
        assert!(err.to_string().contains("CRC64NVME checksum"), "{err}");
    }
}

/// A retried aws-chunked PUT sends a new body (the file read again from its start) with a new
/// chunk signer seeded by the new signature: the first attempt is cut off mid-body, the second
/// is taken, with its chunk signatures and trailer checked by s3s-fs.
#[tokio::test]
async fn a_retried_chunked_put_sends_a_fresh_body() {
    let t = TestStore::start().await;
    create_bucket(t.ctx.client(), "retried").await;
    let proxy = FaultProxy::start(t.store.addr()).await;
    let ctx = Context::new(t.connection().with_endpoint_url(proxy.endpoint())).unwrap();
    let data = data();
    let file = file_with(&data);
    for (i, (mode, checksum)) in modes(ChecksumAlgorithm::Crc32c).into_iter().enumerate() {
        let key = format!("mode-{i}");
        proxy.inject_once(
            Match::put().path(&key),
            Fault::DropRequest {
                after_bytes: 70_000,
            },
        );
        let outcome = put_and_check(
            ctx.client(),
            "retried",
            &key,
            Body::file(file.path()).await.unwrap(),
            &data,
            checksum,
        )
        .await
        .unwrap_or_else(|err| panic!("{mode}: {}", err.to_json()));
        eprintln!("retried {mode}: {outcome:?}");
        assert_eq!(
            proxy.pending(),
            0,
            "{mode}: the first attempt was not cut off"
        );
        assert_eq!(
            proxy.count(&Match::put().path(&key)),
            2,
            "{mode}: not sent exactly twice"
        );
    }
}

/// A file that shrank after its body was made is not sent as if it had not: the aws-chunked
/// encoder stops at the missing bytes, and the error (not retried) says the file changed. A
/// file that grew, or was rewritten at the same size, is refused too (its size or modification
/// time is not the one the body was made with), with or without a flexible checksum, and
/// nothing is stored.
#[tokio::test]
async fn a_file_changed_before_sending_is_refused() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "changed").await;
    let data = data();
    let checksum =
        PayloadChecksum::chunked(ChecksumAlgorithm::Crc32c, ChunkedMode::UnsignedWithTrailer);
    let refused = |err: connector_core::Error| {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err.to_json());
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("changed while"), "{err}");
    };

    let file = file_with(&data);
    let body = Body::file(file.path()).await.unwrap();
    std::fs::write(file.path(), &data[..150_000]).unwrap();
    let err = client
        .request(Method::PUT, Target::object("changed", "shrunk"))
        .body(body)
        .checksum(checksum)
        .send()
        .await
        .expect_err("a shrunk file was sent");
    refused(err);

    for (key, checksum) in [("grown", Some(checksum)), ("grown-classic", None)] {
        let file = file_with(&data[..150_000]);
        let body = Body::file(file.path()).await.unwrap();
        std::fs::write(file.path(), &data).unwrap();
        let mut request = client
            .request(Method::PUT, Target::object("changed", key))
            .body(body);
        if let Some(checksum) = checksum {
            request = request.checksum(checksum);
        }
        refused(request.send().await.expect_err("a grown file was sent"));
    }

    // Rewritten with other bytes at the same size, its modification time moved on.
    let file = file_with(&data);
    let body = Body::file(file.path()).await.unwrap();
    let mut other = data.clone();
    other[10] ^= 0xff;
    std::fs::write(file.path(), &other).unwrap();
    let handle = std::fs::File::options()
        .write(true)
        .open(file.path())
        .unwrap();
    let modified = handle.metadata().unwrap().modified().unwrap();
    handle
        .set_modified(modified + std::time::Duration::from_secs(5))
        .unwrap();
    let err = client
        .request(Method::PUT, Target::object("changed", "rewritten"))
        .body(body)
        .checksum(checksum)
        .send()
        .await
        .expect_err("a rewritten file was sent");
    refused(err);
    for key in ["shrunk", "grown", "grown-classic", "rewritten"] {
        let head = client
            .request(Method::HEAD, Target::object("changed", key))
            .send()
            .await;
        assert!(head.is_err(), "{key}: a changed file was stored");
    }
}

/// One pass over a file: an aws-chunked send never computes the file's SHA-256 or MD5 (the
/// body's digests stay unknown, also to the clone the request was given); a send signed by the
/// body's SHA-256 computes them, once.
#[tokio::test]
async fn a_chunked_file_is_not_hashed_before_it_is_sent() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "once").await;
    let data = data();
    let file = file_with(&data);
    let checksum =
        PayloadChecksum::chunked(ChecksumAlgorithm::Crc32c, ChunkedMode::UnsignedWithTrailer);
    for (key, checksum) in [("chunked", Some(checksum)), ("classic", None)] {
        let body = Body::file(file.path()).await.unwrap();
        let kept = body.clone();
        let mut request = client
            .request(Method::PUT, Target::object("once", key))
            .body(body);
        if let Some(checksum) = checksum {
            request = request.checksum(checksum);
        }
        request
            .send()
            .await
            .unwrap_or_else(|err| panic!("{key}: {}", err.to_json()));
        assert_eq!(kept.digests_known(), checksum.is_none(), "{key}");
    }
}

/// moto with IAM checks on verifies the header signature made with each streaming literal as
/// payload hash (it does not check chunk signatures), decodes the aws-chunked body and reads
/// the trailer; a wrong secret is refused.
#[tokio::test]
async fn moto_takes_the_streaming_literals_in_the_header_signature() {
    let Some((moto, user)) = Moto::start_with_iam() else {
        return;
    };
    let keys = Connection::new(&user.access_key_id, &user.secret_access_key)
        .with_endpoint_url(moto.endpoint());
    let ctx = Context::new(keys.clone()).unwrap();
    let client = ctx.client();
    create_bucket(client, "checksums").await;
    let data = data();
    let file = file_with(&data);
    for (mode, checksum) in modes(ChecksumAlgorithm::Crc32) {
        let body = Body::file(file.path()).await.unwrap();
        if !sends_checksum(checksum) {
            // Signed chunks without a trailer send no checksum, and nothing announces one: moto
            // (which answers a CRC32 of its own, over the still-encoded body, when
            // `x-amz-sdk-checksum-algorithm` names one) answers none.
            let answer = client
                .request(Method::PUT, Target::object("checksums", mode))
                .body(body)
                .checksum(checksum)
                .send()
                .await
                .unwrap_or_else(|err| panic!("moto {mode}: {}", err.to_json()));
            assert_eq!(answer.header("x-amz-checksum-crc32"), None, "moto {mode}");
            let got = client
                .request(Method::GET, Target::object("checksums", mode))
                .send()
                .await
                .unwrap()
                .bytes_capped(1 << 20, "the object")
                .await
                .unwrap();
            assert!(
                got == data,
                "moto {mode}: the object read back is not the data"
            );
            continue;
        }
        let outcome = put_and_check(client, "checksums", mode, body, &data, checksum)
            .await
            .unwrap_or_else(|err| panic!("moto {mode}: {}", err.to_json()));
        eprintln!("moto {mode}: {outcome:?}");
    }
    let mut wrong = keys;
    wrong.secret_access_key = connector_core::Secret::new("wrong-secret");
    let wrong = Context::new(wrong).unwrap();
    for mode in [ChunkedMode::Signed, ChunkedMode::UnsignedWithTrailer] {
        let err = wrong
            .client()
            .request(Method::PUT, Target::object("checksums", "wrong"))
            .body(Body::from_bytes(data.clone()))
            .checksum(PayloadChecksum::chunked(ChecksumAlgorithm::Crc32, mode))
            .send()
            .await
            .expect_err("a wrong secret was taken");
        assert_eq!(
            err.kind(),
            ErrorKind::SignatureMismatch,
            "{mode:?}: {}",
            err.to_json()
        );
    }
}
