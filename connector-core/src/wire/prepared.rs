//! A signed request, ready to send: what a dry run shows (as JSON and as a `curl` command) and
//! what a signature mismatch is diagnosed against.

use crate::wire::body::Body;
use crate::wire::checksum::Digest;
use crate::wire::chunked::ChunkedLayout;
use crate::wire::secret::REDACTED;
use crate::wire::signer::ChunkSigner;
use http::{HeaderMap, Method};
use reqwest::Url;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// Headers whose values are credentials or keys: never shown.
const SECRET_HEADERS: [&str; 3] = [
    "x-amz-security-token",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

/// Whether a header's value must not be shown.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// A request with its signature headers, as it goes on the wire.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// The method.
    pub method: Method,
    /// The full URL, encoded (built once, by [`Endpoint::url`](crate::wire::endpoint::Endpoint::url)).
    pub url: Url,
    /// Every header sent, the signer's included (`Content-Length` is added when sent).
    pub headers: HeaderMap,
    /// The body.
    pub body: Body,
    /// The region it was signed for.
    pub region: String,
    /// The service it was signed for.
    pub service: &'static str,
    /// How the body goes on the wire.
    pub payload: Payload,
}

/// How a prepared request's body goes on the wire.
#[derive(Debug, Clone, Default)]
pub enum Payload {
    /// As it is, its SHA-256 signed in `x-amz-content-sha256`.
    #[default]
    Plain,
    /// As it is, its SHA-256 signed, with this checksum in an `x-amz-checksum-<alg>` header.
    PlainWithChecksum(Digest),
    /// aws-chunked, the checksum computed while it is sent.
    Chunked(ChunkedPayload),
}

impl Payload {
    /// How this payload is named in a dry run's JSON (`None` for a plain body without checksum:
    /// the JSON is then as it always was).
    fn to_json(&self) -> Option<Value> {
        match self {
            Payload::Plain => None,
            Payload::PlainWithChecksum(digest) => Some(json!({
                "encoding": "plain",
                "checksum": digest.algorithm().as_str(),
                "checksum_header": digest.algorithm().header_name(),
            })),
            Payload::Chunked(chunked) => {
                let layout = chunked.layout;
                Some(json!({
                    "encoding": "aws-chunked",
                    "mode": layout.mode.content_sha256(),
                    "checksum": layout.checksum.as_str(),
                    "trailer": layout.mode.has_trailer().then(|| layout.checksum.header_name()),
                    "chunk_size": layout.chunk_size,
                    "decoded_length": layout.decoded_len,
                    "encoded_length": layout.encoded_len(),
                }))
            }
        }
    }
}

/// An aws-chunked body's layout and, when its frames are signed, the signer of this attempt
/// (seeded with its signature; taken once, when the body is sent).
#[derive(Clone)]
pub struct ChunkedPayload {
    /// The frames' form, chunk size, checksum and lengths.
    pub layout: ChunkedLayout,
    signer: Arc<Mutex<Option<ChunkSigner>>>,
}

impl ChunkedPayload {
    /// A payload of `layout`, its frames signed by `signer` when the mode is signed.
    pub(crate) fn new(layout: ChunkedLayout, signer: Option<ChunkSigner>) -> Self {
        ChunkedPayload {
            layout,
            signer: Arc::new(Mutex::new(signer)),
        }
    }

    /// The chunk signer, the first time it is asked for (an attempt sends its body once).
    pub(crate) fn take_signer(&self) -> Option<ChunkSigner> {
        self.signer.lock().ok()?.take()
    }
}

impl std::fmt::Debug for ChunkedPayload {
    /// The signer holds a signing key: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedPayload")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl PreparedRequest {
    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The request as JSON: method, URL, headers (signature shown, secrets redacted), body
    /// length and hash, and an equivalent `curl` command.
    pub fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            let shown = if is_secret_header(name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers.insert(name.as_str().to_owned(), Value::String(shown));
        }
        let body = match &self.payload {
            // The body's own SHA-256 is neither signed nor sent.
            Payload::Chunked(_) => json!({"length": self.body.len()}),
            _ => json!({"length": self.body.len(), "sha256": self.body.sha256_hex()}),
        };
        let mut json = json!({
            "method": self.method.as_str(),
            "url": self.url.as_str(),
            "headers": headers,
            "body": body,
            "signed_for": {"region": self.region, "service": self.service},
            "curl": self.curl(),
        });
        if let Some(payload) = self.payload.to_json() {
            json["payload"] = payload;
        }
        json
    }

    /// An equivalent `curl` command. A session token is read from `$AWS_SESSION_TOKEN` rather
    /// than written out; the body comes from its file, or is given inline when it is short text.
    pub fn curl(&self) -> String {
        let mut parts = vec!["curl".to_owned()];
        if self.method == Method::HEAD {
            parts.push("--head".to_owned());
        } else if self.method != Method::GET {
            parts.push(format!("-X {}", self.method));
        }
        parts.push(shell_quote(self.url.as_str()));
        for (name, value) in &self.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            if name == "x-amz-security-token" {
                parts.push(format!("-H \"{name}: $AWS_SESSION_TOKEN\""));
            } else if is_secret_header(name.as_str()) {
                parts.push(format!(
                    "-H {}",
                    shell_quote(&format!("{name}: {REDACTED}"))
                ));
            } else {
                parts.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
            }
        }
        if let Payload::Chunked(_) = self.payload {
            parts.push(
                "# the aws-chunked body (Content-Encoding: aws-chunked) cannot be sent by curl"
                    .to_owned(),
            );
        } else if let Some(path) = self.body.file_path() {
            parts.push(format!(
                "--data-binary @{}",
                shell_quote(&path.display().to_string())
            ));
        } else if !self.body.is_empty() {
            match self.body.bytes().map(|b| std::str::from_utf8(b)) {
                Some(Ok(text)) if text.len() <= 4096 => {
                    parts.push(format!("--data-binary {}", shell_quote(text)))
                }
                _ => parts.push("--data-binary @BODY_FILE".to_owned()),
            }
        }
        parts.join(" ")
    }
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_shown() {
        let request = PreparedRequest {
            method: Method::PUT,
            url: Url::parse("https://b.s3.us-east-1.amazonaws.com/it's.txt").unwrap(),
            headers: [
                ("x-amz-security-token", "TOKEN-SECRET"),
                ("x-amz-server-side-encryption-customer-key", "KEY-SECRET"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AK/..., Signature=abc",
                ),
            ]
            .into_iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect(),
            body: Body::from_bytes("hello"),
            region: "us-east-1".into(),
            service: "s3",
            payload: Payload::Plain,
        };
        let json = request.to_json().to_string();
        assert!(
            !json.contains("TOKEN-SECRET") && !json.contains("KEY-SECRET"),
            "{json}"
        );
        assert!(json.contains("Signature=abc"));
        let curl = request.curl();
        assert!(
            curl.starts_with("curl -X PUT 'https://b.s3.us-east-1.amazonaws.com/it'\\''s.txt'")
        );
        assert!(curl.contains("\"x-amz-security-token: $AWS_SESSION_TOKEN\""));
        assert!(curl.ends_with("--data-binary 'hello'"));
    }
}
