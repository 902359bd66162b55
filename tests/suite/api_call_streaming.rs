//! Make an API Call with a streaming `x-amz-content-sha256` (issue 11, step 9): the body given
//! as text or base64 is sent aws-chunked in the form the header names, with the checksum
//! algorithm from `x-amz-sdk-checksum-algorithm` or `checksum_algorithm` (CRC32C by default).
//! s3s-fs verifies chunk and trailer signatures and the checksum; ministack parses aws-chunked
//! strictly and checks chunk signatures; moto with IAM checks verifies the header signature
//! made with the streaming literal. Each object read back (a GET through Make an API Call too)
//! must be the bytes sent, and the checksum the output shows must be the data's.

use base64::Engine as _;
use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::{Connection, Context, ErrorKind, Registry};
use integration_tests::{Ministack, Moto, TestStore};
use serde_json::{Value, json};

/// The three streaming forms.
const STREAMING: [&str; 3] = [
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
];

/// 150,000 bytes that are not text (two full 64 KiB frames and a short last one).
fn binary() -> Vec<u8> {
    (0..150_000u32)
        .map(|i| (i.wrapping_mul(131) % 256) as u8)
        .collect()
}

/// 70,000 bytes of text (one full frame and a short one).
fn text() -> String {
    "streamed through make_api_call\n".repeat(2_259)[..70_000].to_owned()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One PUT: its key, the input fields that give the body, its headers and extra input, the
/// bytes it stores and the algorithm of the checksum sent (none for signed chunks without a
/// trailer: the checksum is not sent then).
struct Case {
    key: String,
    input: Value,
    data: Vec<u8>,
    algorithm: Option<ChecksumAlgorithm>,
}

/// Every streaming form, with the algorithm chosen each way where the form sends one (the
/// default, the `x-amz-sdk-checksum-algorithm` header, the `checksum_algorithm` input), the
/// body as base64 or as text.
fn cases(bucket: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, form) in STREAMING.into_iter().enumerate() {
        let trailer = form.ends_with("-TRAILER");
        let mut choices = vec![("default", json!({}), json!({}), ChecksumAlgorithm::Crc32c)];
        if trailer {
            choices.push((
                "header",
                json!({"x-amz-sdk-checksum-algorithm": "SHA256"}),
                json!({}),
                ChecksumAlgorithm::Sha256,
            ));
            choices.push((
                "input",
                json!({}),
                json!({"checksum_algorithm": "CRC64NVME"}),
                ChecksumAlgorithm::Crc64Nvme,
            ));
        }
        for (choice, headers, extra, algorithm) in choices {
            for as_text in [false, true] {
                let key = format!("form-{i}/{choice}/{}", if as_text { "text" } else { "b64" });
                let (body, data) = if as_text {
                    let text = text();
                    (json!({"body": text}), text.into_bytes())
                } else {
                    let data = binary();
                    (json!({"body_base64": b64(&data)}), data)
                };
                let mut headers = headers.clone();
                headers["x-amz-content-sha256"] = json!(form);
                headers["Content-Type"] = json!("application/octet-stream");
                let mut input = json!({
                    "method": "PUT",
                    "url": format!("/{bucket}/{key}"),
                    "headers": headers,
                });
                for (name, value) in body
                    .as_object()
                    .unwrap()
                    .iter()
                    .chain(extra.as_object().unwrap().iter())
                {
                    input[name] = value.clone();
                }
                cases.push(Case {
                    key,
                    input,
                    data,
                    algorithm: trailer.then_some(algorithm),
                });
            }
        }
    }
    cases
}

async fn call(ctx: &Context, input: Value) -> connector_core::Result<Value> {
    Registry::global().invoke(ctx, "make_api_call", input).await
}

/// The object's bytes, read with a GET through Make an API Call.
async fn get(ctx: &Context, bucket: &str, key: &str) -> Vec<u8> {
    let output = call(
        ctx,
        json!({"method": "GET", "url": format!("/{bucket}/{key}")}),
    )
    .await
    .unwrap_or_else(|err| panic!("GET {key}: {}", err.to_json()));
    match (output["body"].as_str(), output["body_base64"].as_str()) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
        (None, None) => Vec::new(),
    }
}

/// Puts every case into `bucket` (created here) and reads each back: the output's checksum
/// is the data's, and the one the server answers (if it does) and stores (a HEAD with checksum
/// mode); the bytes read back are the data.
async fn put_every_form(ctx: &Context, bucket: &str, server: &str) {
    call(ctx, json!({"method": "PUT", "url": format!("/{bucket}")}))
        .await
        .unwrap_or_else(|err| panic!("{server}: create the bucket: {}", err.to_json()));
    for case in cases(bucket) {
        let output = call(ctx, case.input.clone())
            .await
            .unwrap_or_else(|err| panic!("{server} {}: {}", case.key, err.to_json()));
        assert_eq!(output["status"], 200, "{server} {}: {output}", case.key);
        match case.algorithm {
            Some(algorithm) => {
                let expected = algorithm.digest(&case.data).to_base64();
                assert_eq!(
                    output["checksum"],
                    json!({"algorithm": algorithm.as_str(), "value": expected, "sent_in": "trailer"}),
                    "{server} {}",
                    case.key
                );
                let answered = &output["headers"][algorithm.header_name()];
                if !answered.is_null() {
                    assert_eq!(answered, &json!(expected), "{server} {}", case.key);
                }
                let head = call(
                    ctx,
                    json!({"method": "HEAD", "url": format!("/{bucket}/{}", case.key),
                           "headers": {"x-amz-checksum-mode": "ENABLED"}}),
                )
                .await
                .unwrap_or_else(|err| panic!("{server} HEAD {}: {}", case.key, err.to_json()));
                assert_eq!(
                    head["headers"][algorithm.header_name()],
                    json!(expected),
                    "{server} {}: the stored checksum is not the one sent (answered {answered})",
                    case.key
                );
            }
            None => assert!(
                output.get("checksum").is_none(),
                "{server} {}: signed chunks without a trailer send no checksum: {output}",
                case.key
            ),
        }
        let got = get(ctx, bucket, &case.key).await;
        assert!(
            got == case.data,
            "{server} {}: the object read back is not the bytes sent ({} bytes, {} read)",
            case.key,
            case.data.len(),
            got.len()
        );
    }
}

/// s3s-fs verifies every chunk signature, the trailer's signature and the checksum.
#[tokio::test]
async fn s3s_fs_takes_each_streaming_form() {
    let t = TestStore::start().await;
    put_every_form(&t.ctx, "streamed", "s3s-fs").await;
}

/// ministack parses the aws-chunked body strictly, checks chunk signatures and verifies the
/// checksum in the trailer.
#[tokio::test]
async fn ministack_takes_each_streaming_form() {
    let Some(server) = Ministack::start() else {
        return;
    };
    let ctx = Context::new(server.connection("us-east-1")).unwrap();
    put_every_form(&ctx, "streamed", "ministack").await;
}

/// moto with IAM checks on verifies the header signature made with each streaming literal (it
/// does not check chunk signatures) and stores the trailer's checksum (without verifying it);
/// a wrong secret is refused.
#[tokio::test]
async fn moto_iam_takes_each_streaming_form() {
    let Some((moto, user)) = Moto::start_with_iam() else {
        return;
    };
    let keys = Connection::new(&user.access_key_id, &user.secret_access_key)
        .with_endpoint_url(moto.endpoint());
    let ctx = Context::new(keys.clone()).unwrap();
    put_every_form(&ctx, "streamed", "moto").await;

    let mut wrong = keys;
    wrong.secret_access_key = connector_core::Secret::new("wrong-secret");
    let wrong = Context::new(wrong).unwrap();
    for form in STREAMING {
        let err = call(
            &wrong,
            json!({"method": "PUT", "url": "/streamed/wrong", "body": "x",
                   "headers": {"x-amz-content-sha256": form}}),
        )
        .await
        .expect_err("a wrong secret was taken");
        assert_eq!(
            err.kind(),
            ErrorKind::SignatureMismatch,
            "{form}: {}",
            err.to_json()
        );
    }
}

/// Through the registry (the input schema first, then the module's checks), a value other
/// than the streaming ones is refused with an error naming the header and the allowed values.
#[test]
fn other_content_sha256_values_are_refused_by_the_registry() {
    for value in [
        "UNSIGNED-PAYLOAD",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ] {
        let err = Registry::global()
            .prepare(
                "make_api_call",
                json!({"method": "PUT", "url": "/b/k", "body": "x",
                       "headers": {"X-Amz-Content-Sha256": value}}),
            )
            .err()
            .expect("the value was taken");
        eprintln!("{value}: {}", err.to_json());
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.field(), Some("headers.X-Amz-Content-Sha256"));
        for allowed in STREAMING {
            assert!(err.message().contains(allowed), "{}", err.message());
        }
    }
}
