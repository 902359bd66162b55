//! Downloads checked against the checksum S3 stored with the object (issue 11, step 6): a
//! full-object checksum by combining the CRCs of the ranges, a composite one by recomputing it
//! from the digests of ranges laid out like the parts; the MD5 re-read of the saved file only
//! when there is no checksum. Against moto (whose CRC32C/CRC64NVME values come from the
//! `crc32c` and `awscrt` packages, not from our code) and s3s-fs; a byte flipped on the way by
//! the fault proxy is refused and nothing is saved. head_file and get_file show the checksum.

use connector_core::ops::download::{Fetched, ObjectSource, Verified, fetch_to_path};
use connector_core::ops::transfer::TransferOptions;
use connector_core::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType, Digest};
use connector_core::wire::request::PayloadChecksum;
use connector_core::{Body, Context, ErrorKind, S3Client, Target};
use integration_tests::fault_proxy::{Fault, FaultProxy, Match};
use integration_tests::{Moto, TestStore};
use reqwest::Method;
use serde_json::json;

const MIB: usize = 1024 * 1024;

/// Deterministic bytes that do not repeat in any short period.
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

/// Downloads in 5 MiB ranges, two at a time.
fn five_mib_ranges() -> TransferOptions {
    TransferOptions {
        multipart_threshold: 5 * MIB as u64,
        part_size: 5 * MIB as u64,
        concurrency: 2,
    }
}

async fn create_bucket(client: &S3Client, bucket: &str) {
    client
        .request(Method::PUT, Target::bucket(bucket))
        .send()
        .await
        .expect("create the bucket");
}

/// The text between `<name>` and `</name>` in an XML answer.
fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    xml[start..end].to_owned()
}

/// A multipart upload of `parts` made with raw requests, created with `algorithm` and `kind`:
/// the server computes the object's checksum itself (moto from its own CRC code). Without a
/// kind, the store's default (composite, full-object for CRC64NVME).
async fn multipart_upload(
    client: &S3Client,
    bucket: &str,
    key: &str,
    parts: &[&[u8]],
    algorithm: ChecksumAlgorithm,
    kind: impl Into<Option<ChecksumType>>,
) {
    let target = || Target::object(bucket, key);
    let created = client
        .request(Method::POST, target())
        .query("uploads", "")
        .header("x-amz-checksum-algorithm", algorithm.as_str())
        .header_opt("x-amz-checksum-type", kind.into().map(ChecksumType::as_str))
        .send()
        .await
        .expect("create the multipart upload")
        .bytes_capped(1 << 20, "the answer")
        .await
        .unwrap();
    let upload_id = element(std::str::from_utf8(&created).unwrap(), "UploadId");
    let mut completed = String::from("<CompleteMultipartUpload>");
    for (index, part) in parts.iter().enumerate() {
        let number = index + 1;
        let answer = client
            .request(Method::PUT, target())
            .query("partNumber", number.to_string())
            .query("uploadId", upload_id.clone())
            .body(Body::from_bytes(part.to_vec()))
            .send()
            .await
            .expect("upload a part");
        let etag = answer.header("etag").expect("a part's ETag").to_owned();
        completed.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    completed.push_str("</CompleteMultipartUpload>");
    client
        .request(Method::POST, target())
        .query("uploadId", upload_id)
        .body(Body::from_bytes(completed.into_bytes()))
        .send()
        .await
        .expect("complete the multipart upload");
}

/// Downloads `key` into a fresh folder; the result and the folder.
async fn download(
    client: &S3Client,
    bucket: &str,
    key: &str,
) -> (connector_core::Result<Fetched>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let source = ObjectSource {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id: None,
    };
    let dest = dir.path().join("saved.bin");
    let fetched = fetch_to_path(client, &source, &dest, &five_mib_ranges(), None).await;
    (fetched, dir)
}

/// The three parts of a 13 MiB object (6 MiB, 6 MiB, 1 MiB: not the 5 MiB download ranges).
fn parts_of(data: &[u8]) -> [&[u8]; 3] {
    [
        &data[..6 * MIB],
        &data[6 * MIB..12 * MIB],
        &data[12 * MIB..],
    ]
}

fn saved(dir: &tempfile::TempDir) -> Vec<u8> {
    std::fs::read(dir.path().join("saved.bin")).expect("the saved file")
}

/// A full-object multipart checksum (moto's own CRC of the whole object) is checked by
/// combining the CRCs of 5 MiB ranges that do not match the 6 MiB parts.
#[tokio::test]
async fn moto_full_object_multipart_is_verified_by_combining_range_crcs() {
    let Some(moto) = Moto::start() else { return };
    let ctx = Context::new(moto.connection()).unwrap();
    let client = ctx.client();
    create_bucket(client, "full").await;
    let data = data(13 * MIB + 123, 1);
    for algorithm in [ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme] {
        let key = format!("full-{algorithm}");
        let kind = ChecksumType::FullObject;
        multipart_upload(client, "full", &key, &parts_of(&data), algorithm, kind).await;
        let (fetched, dir) = download(client, "full", &key).await;
        let fetched = fetched.unwrap_or_else(|err| panic!("{key}: {}", err.to_json()));
        let expected = Checksum::full_object(&algorithm.digest(&data));
        assert_eq!(fetched.verified, Verified::Checksum(expected), "{key}");
        assert!(saved(&dir) == data, "{key}: the saved bytes differ");
    }
}

/// A composite checksum (`value-3`) is checked by recomputing it from the digests of ranges
/// laid out like the parts (learned from a HEAD of part 1).
#[tokio::test]
async fn moto_composite_multipart_is_verified_from_part_digests() {
    let Some(moto) = Moto::start() else { return };
    let ctx = Context::new(moto.connection()).unwrap();
    let client = ctx.client();
    create_bucket(client, "composite").await;
    let data = data(13 * MIB + 5, 2);
    for algorithm in [ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Sha256] {
        let key = format!("composite-{algorithm}");
        let kind = ChecksumType::Composite;
        multipart_upload(client, "composite", &key, &parts_of(&data), algorithm, kind).await;
        let (fetched, dir) = download(client, "composite", &key).await;
        let fetched = fetched.unwrap_or_else(|err| panic!("{key}: {}", err.to_json()));
        let digests: Vec<Digest> = parts_of(&data)
            .iter()
            .map(|part| algorithm.digest(part))
            .collect();
        let expected = Checksum::composite(algorithm, &digests).unwrap();
        assert_eq!(expected.parts(), Some(3));
        assert_eq!(fetched.verified, Verified::Checksum(expected), "{key}");
        assert!(saved(&dir) == data, "{key}: the saved bytes differ");
    }
}

/// A byte flipped in an answer of a multipart object (whose ETag is no MD5, so only its
/// checksum can catch it) is a retryable network error, and nothing is left on disk.
#[tokio::test]
async fn a_flipped_byte_is_refused_and_nothing_is_saved() {
    let Some(moto) = Moto::start() else { return };
    let upstream = moto
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(upstream).await;
    let ctx = Context::new(moto.connection().with_endpoint_url(proxy.endpoint())).unwrap();
    let client = ctx.client();
    create_bucket(client, "flip").await;
    let data = data(13 * MIB, 3);
    for (key, kind) in [
        ("full", ChecksumType::FullObject),
        ("composite", ChecksumType::Composite),
    ] {
        let algorithm = ChecksumAlgorithm::Crc32c;
        // Parts as large as the download's ranges: the first answer is kept (a composite
        // download drops a first answer that does not end where part 1 does).
        let parts: [&[u8]; 3] = [
            &data[..5 * MIB],
            &data[5 * MIB..10 * MIB],
            &data[10 * MIB..],
        ];
        multipart_upload(client, "flip", key, &parts, algorithm, kind).await;
        // The first answer is damaged.
        proxy.inject_once(
            Match::get().path(key),
            Fault::FlipResponseByte { at: 1_000_000 },
        );
        let (fetched, dir) = download(client, "flip", key).await;
        let err = fetched.expect_err("a damaged download must fail");
        assert_eq!(err.kind(), ErrorKind::Network, "{key}: {}", err.to_json());
        assert!(err.is_retryable(), "{key}: {}", err.to_json());
        assert_eq!(proxy.pending(), 0, "{key}: the fault was not used");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{key}: files left behind: {left:?}");
    }
}

/// A single-part object stored with a checksum (s3s-fs) is checked with it, in ranges: no MD5
/// re-read of the saved file.
#[tokio::test]
async fn s3s_single_part_object_is_verified_by_its_checksum_not_md5() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "single").await;
    for (key, len) in [("big", 12 * MIB + 7), ("small", 1000)] {
        let data = data(len, 4);
        client
            .request(Method::PUT, Target::object("single", key))
            .body(Body::from_bytes(data.clone()))
            .checksum(PayloadChecksum::Header(ChecksumAlgorithm::Crc32c))
            .send()
            .await
            .unwrap();
        let (fetched, dir) = download(client, "single", key).await;
        let fetched = fetched.unwrap_or_else(|err| panic!("{key}: {}", err.to_json()));
        let expected = Checksum::full_object(&ChecksumAlgorithm::Crc32c.digest(&data));
        assert_eq!(fetched.verified, Verified::Checksum(expected), "{key}");
        assert!(saved(&dir) == data, "{key}");
    }
}

/// An object without a checksum is still checked against its MD5 ETag, as before.
#[tokio::test]
async fn objects_without_a_checksum_fall_back_to_md5() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "plain").await;
    let data = data(11 * MIB, 5);
    client
        .request(Method::PUT, Target::object("plain", "plain.bin"))
        .body(Body::from_bytes(data.clone()))
        .send()
        .await
        .unwrap();
    let (fetched, dir) = download(client, "plain", "plain.bin").await;
    let fetched = fetched.unwrap();
    assert!(
        matches!(&fetched.verified, Verified::Md5(md5) if md5.len() == 32),
        "{:?}",
        fetched.verified
    );
    assert!(saved(&dir) == data);
}

/// head_file and get_file show the stored checksum.
#[tokio::test]
async fn head_file_and_get_file_show_the_checksum() {
    let Some(moto) = Moto::start() else { return };
    let ctx = Context::new(moto.connection()).unwrap();
    let client = ctx.client();
    create_bucket(client, "shown").await;
    let small = data(4000, 6);
    client
        .request(Method::PUT, Target::object("shown", "a.bin"))
        .body(Body::from_bytes(small.clone()))
        .checksum(PayloadChecksum::Header(ChecksumAlgorithm::Crc32c))
        .send()
        .await
        .unwrap();
    let value = ChecksumAlgorithm::Crc32c.digest(&small).to_base64();
    let expected = json!({"algorithm": "CRC32C", "value": value, "type": "FULL_OBJECT"});
    let head = moto
        .ok("head_file", json!({"bucket": "shown", "key": "a.bin"}))
        .await;
    assert_eq!(head["checksum"], expected, "{head}");
    let got = moto
        .ok("get_file", json!({"bucket": "shown", "key": "a.bin"}))
        .await;
    assert_eq!(got["checksum"], expected, "{got}");

    // Saved to a file, the output names the checksum that was verified.
    let dir = tempfile::tempdir().unwrap();
    let composite = data(11 * MIB, 7);
    let parts: [&[u8]; 2] = [&composite[..6 * MIB], &composite[6 * MIB..]];
    let algorithm = ChecksumAlgorithm::Crc32c;
    multipart_upload(
        client,
        "shown",
        "c.bin",
        &parts,
        algorithm,
        ChecksumType::Composite,
    )
    .await;
    let saved = moto
        .ok(
            "get_file",
            json!({"bucket": "shown", "key": "c.bin", "save_to": dir.path().join("c.bin"),
                   "transfer": {"part_size_mib": 5, "concurrency": 2}}),
        )
        .await;
    let digests: Vec<Digest> = parts.iter().map(|part| algorithm.digest(part)).collect();
    let value = Checksum::composite(algorithm, &digests)
        .unwrap()
        .to_string();
    assert_eq!(
        saved["checksum"],
        json!({"algorithm": "CRC32C", "value": value, "type": "COMPOSITE", "parts": 2}),
        "{saved}"
    );
}

/// A HEAD with checksum mode refused with AccessDenied (an SSE-KMS object without
/// kms:Decrypt) is sent again once without it.
#[tokio::test]
async fn head_refused_for_checksum_mode_is_retried_without_it() {
    let t = TestStore::start().await;
    t.bucket("kms").await;
    t.ok(
        "upload_file",
        json!({"bucket": "kms", "file_name": "k.txt", "source": {"text": "hello"}}),
    )
    .await;
    let proxy = FaultProxy::start(t.store.addr()).await;
    proxy.inject_once(Match::head(), Fault::status(403, "AccessDenied"));
    let via_proxy = t.connection().with_endpoint_url(proxy.endpoint());
    let head = t
        .run_with(
            via_proxy,
            "head_file",
            json!({"bucket": "kms", "key": "k.txt"}),
        )
        .await
        .unwrap_or_else(|err| panic!("{}", err.to_json()));
    assert_eq!(head["size"], 5);
    assert_eq!(proxy.count(&Match::head()), 2);
    assert_eq!(proxy.pending(), 0);
}

/// A range that breaks off is resumed from the byte it reached, and its CRC continues over
/// the resumed bytes: the download is still verified.
#[tokio::test]
async fn a_resumed_range_keeps_its_crc() {
    let Some(moto) = Moto::start() else { return };
    let upstream = moto
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(upstream).await;
    let ctx = Context::new(moto.connection().with_endpoint_url(proxy.endpoint())).unwrap();
    let client = ctx.client();
    create_bucket(client, "resume").await;
    let data = data(13 * MIB, 8);
    let algorithm = ChecksumAlgorithm::Crc64Nvme;
    let kind = ChecksumType::FullObject;
    multipart_upload(client, "resume", "r.bin", &parts_of(&data), algorithm, kind).await;
    proxy.inject_once(
        Match::get().path("r.bin"),
        Fault::DropResponse {
            after_bytes: 2_000_001,
        },
    );
    let (fetched, dir) = download(client, "resume", "r.bin").await;
    let fetched = fetched.unwrap_or_else(|err| panic!("{}", err.to_json()));
    assert_eq!(proxy.pending(), 0, "the fault was not used");
    let expected = Checksum::full_object(&algorithm.digest(&data));
    assert_eq!(fetched.verified, Verified::Checksum(expected));
    assert!(saved(&dir) == data);
}

/// get_file returning the content inline checks it against a full-object checksum too.
#[tokio::test]
async fn inline_content_is_checked_against_the_checksum() {
    let Some(moto) = Moto::start() else { return };
    let upstream = moto
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(upstream).await;
    let via_proxy = moto.connection().with_endpoint_url(proxy.endpoint());
    let ctx = Context::new(via_proxy.clone()).unwrap();
    let client = ctx.client();
    create_bucket(client, "inline").await;
    let small = data(3000, 9);
    client
        .request(Method::PUT, Target::object("inline", "i.bin"))
        .body(Body::from_bytes(small.clone()))
        .checksum(PayloadChecksum::Header(ChecksumAlgorithm::Crc32))
        .send()
        .await
        .unwrap();
    let input = json!({"bucket": "inline", "key": "i.bin"});
    let ok = connector_core::Registry::global()
        .invoke(&ctx, "get_file", input.clone())
        .await
        .unwrap();
    assert_eq!(ok["checksum"]["algorithm"], "CRC32");
    proxy.inject_once(Match::get(), Fault::FlipResponseByte { at: 10 });
    let err = connector_core::Registry::global()
        .invoke(&ctx, "get_file", input)
        .await
        .expect_err("damaged content must not be returned");
    assert_eq!(err.kind(), ErrorKind::Network, "{}", err.to_json());
    assert!(err.is_retryable());
    assert_eq!(proxy.pending(), 0);
}

/// A multipart object whose stored checksum's type the store does not say (moto's HEAD of an
/// upload created without `x-amz-checksum-type`: the bare value, no type, no count) is fetched
/// in ranges laid out like the parts and checked both ways: as the composite of the parts'
/// digests, and (a CRC) as their combination.
#[tokio::test]
async fn a_checksum_of_unstated_type_is_checked_both_ways() {
    let Some(moto) = Moto::start() else { return };
    let ctx = Context::new(moto.connection()).unwrap();
    let client = ctx.client();
    create_bucket(client, "unstated").await;
    let data = data(13 * MIB + 11, 10);
    let digests = |algorithm: ChecksumAlgorithm| -> Vec<Digest> {
        parts_of(&data)
            .iter()
            .map(|part| algorithm.digest(part))
            .collect()
    };
    let cases = [
        (
            ChecksumAlgorithm::Crc32c,
            Checksum::composite(
                ChecksumAlgorithm::Crc32c,
                &digests(ChecksumAlgorithm::Crc32c),
            )
            .unwrap(),
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            Checksum::full_object(&ChecksumAlgorithm::Crc64Nvme.digest(&data)),
        ),
    ];
    for (algorithm, expected) in cases {
        let key = format!("unstated-{algorithm}");
        multipart_upload(client, "unstated", &key, &parts_of(&data), algorithm, None).await;
        let (fetched, dir) = download(client, "unstated", &key).await;
        let fetched = fetched.unwrap_or_else(|err| panic!("{key}: {}", err.to_json()));
        assert_eq!(fetched.verified, Verified::Checksum(expected), "{key}");
        assert!(saved(&dir) == data, "{key}: the saved bytes differ");
    }
}

/// head_file and get_file ask for the stored checksum (`x-amz-checksum-mode: ENABLED`) unless
/// the connection's checksum policy is `when_required` (stores that refuse the header).
#[tokio::test]
async fn checksum_mode_is_asked_for_unless_when_required() {
    use connector_core::wire::payload::ChecksumPolicy;
    use integration_tests::hostile_server::{Answer, HostileServer};

    let server = HostileServer::start(|_| {
        Answer::status(200)
            .header("etag", "\"5d41402abc4b2a76b9719d911017c592\"")
            .body("hello")
    })
    .await;
    let mut when_required = server.connection();
    when_required.checksum_policy = Some(ChecksumPolicy::WhenRequired);
    let contexts = [
        (Some("ENABLED"), server.context()),
        (None, Context::new(when_required).unwrap()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let save_to = dir.path().join("k.txt");
    for (expected, ctx) in contexts {
        for (module, input) in [
            ("head_file", json!({"bucket": "b", "key": "k.txt"})),
            ("get_file", json!({"bucket": "b", "key": "k.txt"})),
            (
                "get_file",
                json!({"bucket": "b", "key": "k.txt", "save_to": save_to}),
            ),
        ] {
            let before = server.requests();
            connector_core::Registry::global()
                .invoke(&ctx, module, input)
                .await
                .unwrap_or_else(|err| panic!("{module}: {}", err.to_json()));
            let seen = server.seen();
            assert_eq!(seen.len(), before + 1, "{module}");
            assert_eq!(
                seen[before].header("x-amz-checksum-mode"),
                expected,
                "{module}"
            );
        }
    }
}

/// ministack: a composite multipart object (its checksum computed by ministack) is verified;
/// part 1's size comes from a GET with `partNumber=1` (ministack's HEAD ignores it).
#[tokio::test]
async fn ministack_objects_are_verified() {
    let Some(server) = integration_tests::Ministack::start() else {
        return;
    };
    let ctx = Context::new(server.connection("us-east-1")).unwrap();
    let client = ctx.client();
    create_bucket(client, "mini").await;
    let data = data(13 * MIB + 3, 11);
    let algorithm = ChecksumAlgorithm::Crc32c;
    let kind = ChecksumType::Composite;
    multipart_upload(client, "mini", "c.bin", &parts_of(&data), algorithm, kind).await;
    let (fetched, dir) = download(client, "mini", "c.bin").await;
    let fetched = fetched.unwrap_or_else(|err| panic!("{}", err.to_json()));
    let digests: Vec<Digest> = parts_of(&data)
        .iter()
        .map(|part| algorithm.digest(part))
        .collect();
    let expected = Checksum::composite(algorithm, &digests).unwrap();
    assert_eq!(fetched.verified, Verified::Checksum(expected));
    assert!(saved(&dir) == data);
}

/// A full-object SHA cannot be computed from parallel ranges (SHAs do not combine): an object
/// larger than one range is checked by its MD5 instead; one that fits in a range by its SHA.
#[tokio::test]
async fn a_full_object_sha_is_checked_when_the_object_fits_one_range() {
    let t = TestStore::start().await;
    let client = t.ctx.client();
    create_bucket(client, "sha").await;
    let algorithm = ChecksumAlgorithm::Sha256;
    for (key, len) in [("big", 11 * MIB), ("small", 1000)] {
        let data = data(len, 12);
        client
            .request(Method::PUT, Target::object("sha", key))
            .body(Body::from_bytes(data.clone()))
            .checksum(PayloadChecksum::Header(algorithm))
            .send()
            .await
            .unwrap();
        let (fetched, dir) = download(client, "sha", key).await;
        let fetched = fetched.unwrap_or_else(|err| panic!("{key}: {}", err.to_json()));
        match key {
            "big" => assert!(
                matches!(fetched.verified, Verified::Md5(_)),
                "{key}: {:?}",
                fetched.verified
            ),
            _ => assert_eq!(
                fetched.verified,
                Verified::Checksum(Checksum::full_object(&algorithm.digest(&data))),
                "{key}"
            ),
        }
        assert!(saved(&dir) == data, "{key}");
    }
}
