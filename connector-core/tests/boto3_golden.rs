//! The signer and the URL builder against botocore's output for the same inputs and clock.
//! The vectors come from `tests/golden/boto3_sigv4.py` (run by hand; see its docstring).

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use connector_core::wire::credentials::Credentials;
use connector_core::wire::signer::{SignRequest, Signer, sha256_hex};
use connector_core::{Connection, Endpoint, Target};
use serde_json::Value;
use std::time::SystemTime;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/golden/sigv4_boto3.json"
    );
    let text = std::fs::read_to_string(path).expect("read the golden vectors");
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn text(case: &Value, field: &str) -> String {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field}"))
        .to_owned()
}

#[test]
fn signatures_match_botocore() {
    let cases = cases();
    assert!(cases.len() >= 12);
    for case in cases {
        let name = text(&case, "name");
        let time: SystemTime = DateTime::from_str(&text(&case, "time"), Format::DateTime)
            .unwrap()
            .try_into()
            .unwrap();
        let headers: Vec<(String, String)> = case["headers_in"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap().to_owned(),
                    pair[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let credentials = Credentials::new(
            text(&case, "access_key_id"),
            text(&case, "secret_access_key"),
            case["session_token"].as_str().map(str::to_owned),
        );
        let hash = sha256_hex(text(&case, "body_utf8").as_bytes());
        assert_eq!(hash, text(&case, "x_amz_content_sha256"), "{name}");
        let signed = Signer::s3(text(&case, "region"))
            .sign(
                &SignRequest {
                    method: &text(&case, "method"),
                    url: &text(&case, "url"),
                    headers: &headers,
                    payload_sha256: &hash,
                },
                &credentials,
                time,
            )
            .unwrap();
        let get = |header: &str| {
            signed
                .iter()
                .find(|(n, _)| *n == header)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            get("x-amz-date").unwrap(),
            text(&case, "x_amz_date"),
            "{name}"
        );
        assert_eq!(get("x-amz-content-sha256").unwrap(), hash, "{name}");
        assert_eq!(
            get("x-amz-security-token"),
            case["x_amz_security_token"].as_str().map(str::to_owned),
            "{name}"
        );
        assert_eq!(
            get("authorization").unwrap(),
            text(&case, "authorization"),
            "{name}"
        );
    }
}

#[test]
fn object_urls_match_botocore() {
    for case in cases() {
        let Some(key) = case["key"].as_str() else {
            continue;
        };
        let name = text(&case, "name");
        let bucket = text(&case, "bucket");
        let url = text(&case, "url");
        let url = url.split('?').next().unwrap();
        let host = url.split('/').nth(2).unwrap();
        let connection = Connection::new("AK", "SK").with_region(text(&case, "region"));
        let connection = if host.starts_with(&format!("{bucket}.")) {
            connection
        } else {
            let scheme = url.split("://").next().unwrap();
            connection.with_endpoint_url(format!("{scheme}://{host}"))
        };
        let endpoint = Endpoint::for_connection(&connection).unwrap();
        let built = endpoint.url(&Target::object(&bucket, key), &[]).unwrap();
        assert_eq!(built.as_str(), url, "{name}");
    }
}
