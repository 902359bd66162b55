//! Presigned URLs and POST forms against botocore's output for the same inputs and clock.
//! The vectors come from `tests/golden/boto3_presign.py` (run by hand; see its docstring).

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use connector_core::ops::presign::{self, PostRequest, UrlRequest};
use connector_core::{AddressingStyle, Connection, Credentials, S3Client};
use serde_json::Value;
use std::time::{Duration, SystemTime};

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/golden/presign_boto3.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(case: &Value, field: &str) -> String {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field}"))
        .to_owned()
}

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The client botocore's URL implies: its endpoint and addressing style, its region.
fn client_for(case: &Value) -> (S3Client, Credentials, SystemTime) {
    let url = s(case, "url");
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split('/').next().unwrap();
    let connection = Connection::new("AK", "SK").with_region(s(case, "region"));
    let connection = if s(case, "addressing_style") == "virtual" {
        let service_host = host
            .strip_prefix(&format!("{}.", s(case, "bucket")))
            .unwrap();
        connection
            .with_endpoint_url(format!("{scheme}://{service_host}"))
            .with_addressing_style(AddressingStyle::Virtual)
    } else {
        connection
            .with_endpoint_url(s(case, "endpoint_url"))
            .with_addressing_style(AddressingStyle::Path)
    };
    let credentials = Credentials::new(
        s(case, "access_key_id"),
        s(case, "secret_access_key"),
        case["session_token"].as_str().map(str::to_owned),
    );
    let time = DateTime::from_str(&s(case, "time"), Format::DateTime)
        .unwrap()
        .try_into()
        .unwrap();
    (S3Client::new(connection).unwrap(), credentials, time)
}

#[test]
fn presigned_urls_are_byte_identical_to_botocore() {
    let golden = golden();
    let urls = golden["urls"].as_array().unwrap();
    assert!(urls.len() >= 12);
    for case in urls {
        let (client, credentials, time) = client_for(case);
        let request = UrlRequest {
            method: s(case, "method").parse().unwrap(),
            bucket: s(case, "bucket"),
            key: s(case, "key"),
            params: pairs(&case["operation_params"]),
            headers: pairs(&case["signed_headers"]),
            expires_in: Duration::from_secs(case["expires_in"].as_u64().unwrap()),
        };
        let url = presign::url_with(&client, &credentials, &request, time).unwrap();
        assert_eq!(url, s(case, "url"), "{}", s(case, "name"));
    }
}

#[test]
fn presigned_posts_are_byte_identical_to_botocore() {
    let golden = golden();
    let posts = golden["posts"].as_array().unwrap();
    assert!(posts.len() >= 4);
    for case in posts {
        let name = s(case, "name");
        let (client, credentials, time) = client_for(case);
        let order: Vec<&str> = case["fields_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let fields_in: Vec<(String, String)> = order
            .iter()
            .take_while(|name| **name != "key")
            .map(|f| {
                (
                    f.to_string(),
                    case["fields_in"][*f].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let request = PostRequest {
            bucket: s(case, "bucket"),
            key: s(case, "key"),
            fields: fields_in,
            conditions: case["conditions_in"].as_array().unwrap().clone(),
            expires_in: Duration::from_secs(case["expires_in"].as_u64().unwrap()),
        };
        let post = presign::post_with(&client, &credentials, &request, time).unwrap();
        assert_eq!(post.url, s(case, "url"), "{name}");
        assert_eq!(post.policy_json, s(case, "policy_json"), "{name}");
        let names: Vec<&str> = post.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, order, "{name}");
        for (field, value) in &post.fields {
            assert_eq!(
                value,
                case["fields"][field].as_str().unwrap(),
                "{name}: {field}"
            );
        }
    }
}
