//! A connection: the credentials and the place (region, endpoint) every module talks to.

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::secret::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The region used when none is given, as the AWS CLI does.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How the bucket appears in request URLs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AddressingStyle {
    /// Virtual-hosted (`https://BUCKET.s3.REGION.amazonaws.com/KEY`) on AWS when the bucket name
    /// allows it (no dots, no capitals or underscores); path-style on a custom endpoint.
    #[default]
    Auto,
    /// Always `https://BUCKET.HOST/KEY`.
    Virtual,
    /// Always `https://HOST/BUCKET/KEY`. Most S3-compatible stores (MinIO, Ceph, …) need this.
    Path,
}

/// An Amazon S3 connection: an access key pair (and a session token for temporary
/// credentials), the region, and for S3-compatible stores their endpoint URL.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Amazon S3 connection")]
pub struct Connection {
    /// The access key ID of an IAM user or role (it starts with `AKIA`, or `ASIA` for temporary
    /// credentials). Create one in the IAM console under Users → Security credentials.
    #[schemars(title = "Access key ID", transform = crate::validate::schema::access_key_id)]
    pub access_key_id: String,

    /// The secret access key shown once when the access key was created. It is used only to
    /// sign requests and is never shown again, logged, or returned.
    #[schemars(title = "Secret access key", transform = crate::validate::schema::trimmed)]
    pub secret_access_key: Secret,

    /// Only for temporary credentials (from STS, e.g. AssumeRole or an SSO session): the session
    /// token that goes with the access key. Leave empty for a long-term access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Session token", transform = crate::validate::schema::header_token)]
    pub session_token: Option<Secret>,

    /// The AWS region of your buckets, e.g. `eu-west-1`. Requests are signed for this region.
    #[serde(default = "default_region")]
    #[schemars(title = "Region", transform = crate::validate::schema::region, extend("x-options" = {"provider": "regions"}))]
    pub region: String,

    /// For S3-compatible stores only (MinIO, Ceph, Cloudflare R2, a local test server): the
    /// endpoint URL, e.g. `http://127.0.0.1:9000`. Leave empty for Amazon S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Endpoint URL", transform = crate::validate::schema::endpoint_url)]
    pub endpoint_url: Option<String>,

    /// How buckets are addressed in URLs. `auto` fits Amazon S3 and most other stores.
    #[serde(default)]
    #[schemars(title = "Addressing style")]
    pub addressing_style: AddressingStyle,

    /// Work as this IAM role (e.g. `arn:aws:iam::123456789012:role/s3-reader`): the keys above
    /// assume it with STS and every request uses its temporary credentials, renewed before they
    /// expire. Leave empty to use the keys directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Role ARN", transform = crate::validate::schema::role_arn)]
    pub role_arn: Option<String>,

    /// With a role: the external ID its trust policy requires, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "External ID")]
    pub external_id: Option<String>,

    /// With a role: the session name that appears in CloudTrail (default `s3-connector`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Role session name", transform = crate::validate::schema::role_session_name)]
    pub role_session_name: Option<String>,

    /// For temporary credentials: when they expire (RFC 3339), if known. Filled in by Assume
    /// Role; used to warn when a presigned URL would outlive its credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Credentials expire at", transform = crate::validate::schema::rfc3339)]
    pub expiration: Option<String>,
}

impl std::fmt::Debug for Connection {
    /// Secrets show as `<redacted>`, and a user name or password written into the endpoint
    /// URL (refused by `validate`, but possibly printed before) as `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("region", &self.region)
            .field(
                "endpoint_url",
                &self
                    .endpoint_url
                    .as_deref()
                    .map(crate::endpoint::without_userinfo),
            )
            .field("addressing_style", &self.addressing_style)
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id)
            .field("role_session_name", &self.role_session_name)
            .field("expiration", &self.expiration)
            .finish()
    }
}

fn default_region() -> String {
    DEFAULT_REGION.to_owned()
}

impl Connection {
    /// A connection to Amazon S3 in `region` with a long-term access key.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Connection {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: None,
            region: default_region(),
            endpoint_url: None,
            addressing_style: AddressingStyle::Auto,
            role_arn: None,
            external_id: None,
            role_session_name: None,
            expiration: None,
        }
    }

    /// The connection's own keys (before any role is assumed).
    pub fn credentials(&self) -> Credentials {
        let expires_at = self
            .expiration
            .as_deref()
            .and_then(crate::headers::parse_rfc3339);
        Credentials::from_secrets(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
        )
        .with_expiry(expires_at)
    }

    /// Works as `role_arn`, assumed with this connection's keys.
    pub fn with_role(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// Sets the region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Sets the endpoint URL of an S3-compatible store.
    pub fn with_endpoint_url(mut self, endpoint_url: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint_url.into());
        self
    }

    /// Sets the session token of temporary credentials.
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(Secret::new(token));
        self
    }

    /// Sets the addressing style.
    pub fn with_addressing_style(mut self, style: AddressingStyle) -> Self {
        self.addressing_style = style;
        self
    }

    /// Reads a connection from a JSON file (the shape of `schemas/connection.json`).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Error::invalid_input(
                "connection",
                format!("cannot read the connection file {}: {err}", path.display()),
            )
        })?;
        Self::from_json(&text)
            .map_err(|err| err.context(format!("connection file {}", path.display())))
    }

    /// Reads a connection from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let connection: Connection = serde_json::from_str(text).map_err(|err| {
            Error::invalid_input("connection", format!("not a valid connection: {err}"))
        })?;
        connection.validate()?;
        Ok(connection)
    }

    /// Checks the fields, naming the one at fault.
    pub fn validate(&self) -> Result<()> {
        if self.access_key_id.trim().is_empty() {
            return Err(Error::invalid_input(
                "connection.access_key_id",
                "the access key ID is empty",
            ));
        }
        if self.access_key_id.trim() != self.access_key_id {
            return Err(Error::invalid_input(
                "connection.access_key_id",
                "the access key ID has spaces around it: remove them",
            ));
        }
        if self.secret_access_key.is_empty() {
            return Err(Error::invalid_input(
                "connection.secret_access_key",
                "the secret access key is empty",
            ));
        }
        if self.secret_access_key.expose().trim() != self.secret_access_key.expose() {
            return Err(Error::invalid_input(
                "connection.secret_access_key",
                "the secret access key has spaces around it: remove them",
            ));
        }
        crate::validate::region("connection.region", &self.region)?;
        if let Some(endpoint) = &self.endpoint_url {
            crate::endpoint::Endpoint::parse_custom(endpoint)?;
        }
        if let Some(role_arn) = &self.role_arn {
            crate::validate::role_arn("connection.role_arn", role_arn)?;
        }
        if let Some(name) = &self.role_session_name {
            crate::validate::role_session_name("connection.role_session_name", name)?;
        }
        if let Some(expiration) = &self.expiration
            && crate::headers::parse_rfc3339(expiration).is_none()
        {
            return Err(Error::invalid_input(
                "connection.expiration",
                format!("{expiration:?} is not an RFC 3339 time like 2026-01-15T12:00:00Z"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_json_never_show_the_secrets() {
        let c = Connection::new("AKIDEXAMPLE", "very-secret-value")
            .with_session_token("tok-secret")
            .with_endpoint_url("http://user:url-password@127.0.0.1:9000");
        let debug = format!("{c:?}");
        assert!(!debug.contains("url-password"), "{debug}");
        assert!(debug.contains("127.0.0.1:9000"), "{debug}");
        let json = serde_json::to_string(&c).unwrap();
        for text in [debug, json] {
            assert!(!text.contains("very-secret-value"), "{text}");
            assert!(!text.contains("tok-secret"), "{text}");
            assert!(text.contains("AKIDEXAMPLE"));
        }
    }

    #[test]
    fn json_file_shape() {
        let c = Connection::from_json(
            r#"{"access_key_id":"AK","secret_access_key":"SK","endpoint_url":"http://127.0.0.1:9000","addressing_style":"path"}"#,
        )
        .unwrap();
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.addressing_style, AddressingStyle::Path);
        let err = Connection::from_json(
            r#"{"access_key_id":"AK","secret_access_key":"SK","regoin":"x"}"#,
        )
        .unwrap_err();
        assert!(err.message().contains("regoin"), "{}", err.message());
        let err = Connection::from_json(
            r#"{"access_key_id":"AK","secret_access_key":"SK","endpoint_url":"ftp://x"}"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("connection.endpoint_url"));
    }
}
