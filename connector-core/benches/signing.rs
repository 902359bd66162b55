//! SigV4 costs per request: signing one S3 request (header signing, as every request of the
//! connector is signed) and presigning one URL.
//!
//! Run with `cargo bench -p connector-core --bench signing`. The target is under 10 µs per
//! signed request (docs/BENCHMARKS.md). Nothing is sent: the presigning client points at an
//! endpoint that is never contacted.

use connector_core::ops::presign::{UrlRequest, url_with};
use connector_core::wire::signer::{EMPTY_SHA256, SignRequest, Signer, sha256_hex};
use connector_core::{Connection, Credentials, S3Client};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// A session token of the length STS really returns (several hundred characters).
const SESSION_TOKEN_LEN: usize = 800;

/// 2026-01-15T12:00:00Z: a fixed clock, so every iteration signs the same bytes.
fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_768_478_400)
}

fn session_token() -> String {
    // Base64-like characters, including the `+`, `/` and `=` real tokens carry.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut token: String = (0..SESSION_TOKEN_LEN - 2)
        .map(|i| ALPHABET[(i * 7 + 3) % ALPHABET.len()] as char)
        .collect();
    token.push_str("==");
    token
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn bench_sign(c: &mut Criterion) {
    let signer = Signer::s3("eu-west-1");
    let permanent = Credentials::new(ACCESS_KEY, SECRET_KEY, None);
    let temporary = Credentials::new(ACCESS_KEY, SECRET_KEY, Some(session_token()));

    // GetObject of the first MiB of a photo.
    let get_url = "https://photos-bucket.s3.eu-west-1.amazonaws.com/photos/2026/01/IMG_000123.jpg";
    let get_headers = headers(&[("range", "bytes=0-1048575")]);
    let get = SignRequest {
        method: "GET",
        url: get_url,
        headers: &get_headers,
        payload_sha256: EMPTY_SHA256,
    };

    // PutObject with a content type, Content-MD5, metadata and a precomputed payload hash.
    let put_url = "https://photos-bucket.s3.eu-west-1.amazonaws.com/photos/2026/01/IMG_000123.jpg";
    let put_headers = headers(&[
        ("content-length", "4718592"),
        ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("content-type", "image/jpeg"),
        ("x-amz-meta-camera", "X-T5"),
        ("x-amz-meta-uploaded-by", "workflow-42"),
        ("x-amz-storage-class", "STANDARD_IA"),
    ]);
    let payload_hash = sha256_hex(b"stand-in for the file's bytes, hashed once before signing");
    let put = SignRequest {
        method: "PUT",
        url: put_url,
        headers: &put_headers,
        payload_sha256: &payload_hash,
    };

    let mut group = c.benchmark_group("sign");
    for (name, request, credentials) in [
        ("get_range", &get, &permanent),
        ("get_range_session_token", &get, &temporary),
        ("put_metadata", &put, &permanent),
        ("put_metadata_session_token", &put, &temporary),
    ] {
        // Check once that the request signs, so a benchmark never times an error path.
        let signed = signer.sign(request, credentials, time()).expect("signs");
        assert!(signed.iter().any(|(n, _)| *n == "authorization"));
        group.bench_function(name, |b| {
            b.iter(|| {
                signer
                    .sign(
                        black_box(request),
                        black_box(credentials),
                        black_box(time()),
                    )
                    .expect("signs")
            })
        });
    }
    group.finish();
}

fn bench_presign(c: &mut Criterion) {
    // A client for a local endpoint; presigning sends nothing.
    let client = S3Client::new(
        Connection::new(ACCESS_KEY, SECRET_KEY).with_endpoint_url("http://127.0.0.1:9000"),
    )
    .expect("client");
    let permanent = Credentials::new(ACCESS_KEY, SECRET_KEY, None);
    let temporary = Credentials::new(ACCESS_KEY, SECRET_KEY, Some(session_token()));

    // A 15-minute download link saved under another name.
    let get = UrlRequest {
        method: http::Method::GET,
        bucket: "photos-bucket".into(),
        key: "photos/2026/01/IMG_000123.jpg".into(),
        params: vec![(
            "response-content-disposition".into(),
            "attachment; filename=\"Holiday 2026.jpg\"".into(),
        )],
        headers: Vec::new(),
        expires_in: Duration::from_secs(900),
    };
    // An upload link that binds the content type.
    let put = UrlRequest {
        method: http::Method::PUT,
        bucket: "photos-bucket".into(),
        key: "uploads/user-12/IMG_000124.jpg".into(),
        params: Vec::new(),
        headers: headers(&[("content-type", "image/jpeg")]),
        expires_in: Duration::from_secs(3600),
    };

    let mut group = c.benchmark_group("presign_url");
    for (name, request, credentials) in [
        ("get_download_name", &get, &permanent),
        ("get_download_name_session_token", &get, &temporary),
        ("put_content_type", &put, &permanent),
    ] {
        let url = url_with(&client, credentials, request, time()).expect("presigns");
        assert!(url.contains("X-Amz-Signature="));
        group.bench_function(name, |b| {
            b.iter(|| {
                url_with(
                    black_box(&client),
                    black_box(credentials),
                    black_box(request),
                    black_box(time()),
                )
                .expect("presigns")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Modest settings: the whole file runs in well under a minute on 2 cores.
    config = Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2));
    targets = bench_sign, bench_presign
}
criterion_main!(benches);
