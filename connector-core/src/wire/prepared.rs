//! A signed request, ready to send: what a dry run shows (as JSON and as a `curl` command) and
//! what a signature mismatch is diagnosed against.

use crate::wire::body::Body;
use crate::wire::secret::REDACTED;
use http::{HeaderMap, Method};
use reqwest::Url;
use serde_json::{Map, Value, json};

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
        json!({
            "method": self.method.as_str(),
            "url": self.url.as_str(),
            "headers": headers,
            "body": {"length": self.body.len(), "sha256": self.body.sha256_hex()},
            "signed_for": {"region": self.region, "service": self.service},
            "curl": self.curl(),
        })
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
        if let Some(path) = self.body.file_path() {
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
