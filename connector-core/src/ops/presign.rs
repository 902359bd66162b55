//! Presigned URLs and presigned POST forms: access to one object for a limited time, for
//! someone who has no keys.
//!
//! URLs carry the signature in the query (`X-Amz-*` parameters after the operation's own, the
//! signature last, as AWS's SDKs write them). POST forms carry a policy document signed with the
//! SigV4 signing key; its JSON is written exactly as botocore writes it, so both produce the
//! same bytes for the same inputs and clock.

use crate::error::{Error, Result};
use crate::wire::client::S3Client;
use crate::wire::credentials::Credentials;
use crate::wire::encode::query_string;
use crate::wire::endpoint::{Endpoint, Target};
use crate::wire::signer::{Signer, amz_date};
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// The longest a presigned URL or POST policy may be valid: 7 days.
pub const MAX_EXPIRES_IN: u64 = 604_800;

/// Checks an expiry in seconds: 1 to 604,800 (7 days), as S3 allows.
pub fn check_expires_in(field: &str, seconds: u64) -> Result<Duration> {
    if !(1..=MAX_EXPIRES_IN).contains(&seconds) {
        return Err(Error::invalid_input(
            field,
            format!(
                "{seconds} s is out of range: a presigned link lasts 1 to {MAX_EXPIRES_IN} seconds (7 days)"
            ),
        ));
    }
    Ok(Duration::from_secs(seconds))
}

/// The endpoint and signer for `bucket`: its region when a redirect taught the client one.
fn for_bucket(client: &S3Client, bucket: &str) -> (Endpoint, Signer) {
    match client.bucket_region(bucket) {
        Some(region) => (client.endpoint().in_region(&region), Signer::s3(region)),
        None => (client.endpoint().clone(), Signer::s3(client.region())),
    }
}

/// A URL to presign.
#[derive(Debug, Clone)]
pub struct UrlRequest {
    /// `GET`, `PUT`, `HEAD` or `DELETE`.
    pub method: http::Method,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Parameters of the operation, before the `X-Amz-*` ones (e.g. `response-content-type`).
    pub params: Vec<(String, String)>,
    /// Headers bound into the signature (lower-case names): the user of the URL must send them.
    pub headers: Vec<(String, String)>,
    /// How long the URL is valid.
    pub expires_in: Duration,
}

/// Presigns `request` with `credentials` at `time`, returning the URL.
pub fn url_with(
    client: &S3Client,
    credentials: &Credentials,
    request: &UrlRequest,
    time: SystemTime,
) -> Result<String> {
    let (endpoint, signer) = for_bucket(client, &request.bucket);
    let url = endpoint.url(
        &Target::object(&request.bucket, &request.key),
        &request.params,
    )?;
    let auth = signer.presign(
        request.method.as_str(),
        url.as_str(),
        &request.headers,
        request.expires_in,
        credentials,
        time,
    )?;
    // The signature's parameters follow the operation's, encoded as everything else is.
    let separator = if url.query().is_some() { '&' } else { '?' };
    let mut presigned = String::from(url);
    presigned.push(separator);
    presigned.push_str(&query_string(
        auth.iter().map(|(name, value)| (*name, value.as_str())),
    ));
    Ok(presigned)
}

/// Presigns `request` now, with the client's current credentials.
pub async fn url(client: &S3Client, request: &UrlRequest) -> Result<String> {
    let credentials = client.credentials().await?;
    url_with(client, &credentials, request, SystemTime::now())
}

/// A POST form to presign.
#[derive(Debug, Clone)]
pub struct PostRequest {
    /// The bucket.
    pub bucket: String,
    /// The key; ending in `${filename}`, it allows any key with that prefix (S3 puts the
    /// uploaded file's name there).
    pub key: String,
    /// Form fields the uploader sends as given (each needs a matching condition).
    pub fields: Vec<(String, String)>,
    /// Policy conditions, before the ones on bucket, key and signature.
    pub conditions: Vec<Value>,
    /// How long the form is valid.
    pub expires_in: Duration,
}

/// A presigned POST form.
#[derive(Debug, Clone)]
pub struct PresignedPost {
    /// Where to POST the `multipart/form-data` form.
    pub url: String,
    /// The form fields, in order; the file goes after them, in a field named `file`.
    pub fields: Vec<(String, String)>,
    /// The policy document as signed (JSON text).
    pub policy_json: String,
}

/// Presigns a POST form with `credentials` at `time`.
pub fn post_with(
    client: &S3Client,
    credentials: &Credentials,
    request: &PostRequest,
    time: SystemTime,
) -> Result<PresignedPost> {
    let (endpoint, signer) = for_bucket(client, &request.bucket);
    let date = amz_date(time);
    let scope = signer.credential_scope(credentials, time);
    let mut conditions = request.conditions.clone();
    conditions.push(json!({"bucket": request.bucket}));
    match request.key.strip_suffix("${filename}") {
        Some(prefix) => conditions.push(json!(["starts-with", "$key", prefix])),
        None => conditions.push(json!({"key": request.key})),
    }
    conditions.push(json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}));
    conditions.push(json!({"x-amz-credential": scope}));
    conditions.push(json!({"x-amz-date": date}));
    let mut fields = request.fields.clone();
    fields.push(("key".to_owned(), request.key.clone()));
    fields.push(("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned()));
    fields.push(("x-amz-credential".to_owned(), scope));
    fields.push(("x-amz-date".to_owned(), date));
    if let Some(token) = credentials.session_token() {
        conditions.push(json!({"x-amz-security-token": token.expose()}));
        fields.push(("x-amz-security-token".to_owned(), token.expose().to_owned()));
    }
    let expiration = crate::wire::headers::to_rfc3339(time + request.expires_in);
    let policy = json!({"expiration": expiration, "conditions": conditions});
    let policy_json = python_json(&policy);
    let policy_b64 = base64::engine::general_purpose::STANDARD.encode(&policy_json);
    let signature = aws_sigv4::sign::v4::calculate_signature(
        signer.signing_key(credentials, time),
        policy_b64.as_bytes(),
    );
    fields.push(("policy".to_owned(), policy_b64));
    fields.push(("x-amz-signature".to_owned(), signature));
    Ok(PresignedPost {
        url: endpoint.url(&Target::bucket(&request.bucket), &[])?.into(),
        fields,
        policy_json,
    })
}

/// Presigns a POST form now, with the client's current credentials.
pub async fn post(client: &S3Client, request: &PostRequest) -> Result<PresignedPost> {
    let credentials = client.credentials().await?;
    post_with(client, &credentials, request, SystemTime::now())
}

/// JSON as Python's `json.dumps` writes it by default: `", "` and `": "` separators, and
/// everything outside ASCII escaped as `\uXXXX`. A policy in this form is plain ASCII and
/// matches the bytes AWS's Python SDK signs.
pub fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_python_json(value, &mut out);
    out
}

fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_string(key, out);
                out.push_str(": ");
                write_python_json(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Value::String(text) => write_python_string(text, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_python_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_style_json() {
        let value = json!({"expiration": "x", "conditions": [{"key": "ü/😀\"\n"}, ["content-length-range", 0, 100]]});
        assert_eq!(
            python_json(&value),
            r#"{"expiration": "x", "conditions": [{"key": "\u00fc/\ud83d\ude00\"\n"}, ["content-length-range", 0, 100]]}"#
        );
    }

    #[test]
    fn expiry_limits() {
        assert!(check_expires_in("expires_in", 0).is_err());
        assert!(check_expires_in("expires_in", 604_801).is_err());
        assert_eq!(
            check_expires_in("expires_in", 604_800).unwrap().as_secs(),
            604_800
        );
    }
}
