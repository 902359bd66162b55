//! A bucket's policy: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy. The policy is a
//! JSON object (IAM policy language), sent and read as it is.

use crate::error::{Error, ErrorKind, Result};
use crate::ops::bucket_config;
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::request::Request;
use http::Method;
use serde_json::{Map, Value};

/// The most of a policy that is read (S3 allows 20 KB; the rest is margin for other stores).
const MAX_POLICY_READ_BYTES: usize = 1024 * 1024;

/// A bucket's policy as S3 answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketPolicy {
    /// The policy document.
    pub document: Map<String, Value>,
    /// The same, exactly as S3 answered it.
    pub text: String,
}

/// The PutBucketPolicy request, with `policy` as its JSON body and a `Content-MD5`.
pub fn put_request(bucket: &str, policy: &Map<String, Value>) -> Request {
    Request::new(Method::PUT, Target::bucket(bucket))
        .query("policy", "")
        .header("content-type", "application/json")
        .body(Body::from_bytes(Value::Object(policy.clone()).to_string()))
        .with_content_md5()
}

/// Replaces the bucket's policy with `policy`.
pub async fn put_bucket_policy(
    client: &S3Client,
    bucket: &str,
    policy: &Map<String, Value>,
) -> Result<()> {
    client.send(put_request(bucket, policy)).await?;
    Ok(())
}

/// The bucket's policy; `None` when it has none (`NoSuchBucketPolicy`).
pub async fn get_bucket_policy(client: &S3Client, bucket: &str) -> Result<Option<BucketPolicy>> {
    let Some(response) = bucket_config::get(client, bucket, "policy", "NoSuchBucketPolicy").await?
    else {
        return Ok(None);
    };
    let bytes = response
        .bytes_capped(MAX_POLICY_READ_BYTES, "the bucket policy")
        .await?;
    read_policy(&bytes).map(Some)
}

/// Reads GetBucketPolicy's answer: a JSON object, else a `server` error.
pub fn read_policy(body: &[u8]) -> Result<BucketPolicy> {
    let unreadable = |why: String| {
        Error::new(
            ErrorKind::Server,
            format!("the store answered with a policy that is not a JSON object: {why}"),
        )
    };
    let text = String::from_utf8(body.to_vec()).map_err(|err| unreadable(err.to_string()))?;
    let document: Map<String, Value> =
        serde_json::from_str(&text).map_err(|err| unreadable(err.to_string()))?;
    Ok(BucketPolicy { document, text })
}

/// Deletes the bucket's policy (succeeds also when there was none).
pub async fn delete_bucket_policy(client: &S3Client, bucket: &str) -> Result<()> {
    bucket_config::delete(client, bucket, "policy").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::url;
    use serde_json::json;

    #[test]
    fn the_policy_is_the_body() {
        let policy = json!({"Version": "2012-10-17", "Statement": []});
        let policy = policy.as_object().unwrap();
        let request = put_request("shop", policy);
        assert_eq!(request.method(), Method::PUT);
        assert_eq!(url(&request), "http://127.0.0.1:9000/shop?policy");
        assert_eq!(
            request.header_value("content-type"),
            Some("application/json")
        );
        let body = Value::Object(policy.clone()).to_string();
        assert!(body.contains(r#""Version":"2012-10-17""#), "{body}");
        assert_eq!(
            request.body_ref().bytes().unwrap().as_ref(),
            body.as_bytes()
        );
        assert_eq!(
            request.header_value("content-md5"),
            Some(Body::from_bytes(body.clone()).content_md5().as_str())
        );
    }

    #[test]
    fn answers_are_json_objects() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#;
        let policy = read_policy(text.as_bytes()).unwrap();
        assert_eq!(policy.text, text);
        assert_eq!(policy.document["Version"], "2012-10-17");
        for bad in [&b"[1]"[..], b"not json", b"\xff"] {
            let err = read_policy(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Server);
            assert!(
                err.message().contains("not a JSON object"),
                "{}",
                err.message()
            );
        }
    }
}
