//! The keys a request is signed with, and where a client gets them.

use crate::error::Result;
use crate::wire::secret::Secret;
use async_trait::async_trait;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, SystemTime};

/// An access key pair, with a session token when the credentials are temporary.
#[derive(Debug, Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expires_at: Option<SystemTime>,
}

impl Credentials {
    /// Credentials from their parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: session_token.map(Secret::new),
            expires_at: None,
        }
    }

    /// Credentials from already wrapped secrets.
    pub fn from_secrets(
        access_key_id: String,
        secret_access_key: Secret,
        session_token: Option<Secret>,
    ) -> Self {
        Credentials {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at: None,
        }
    }

    /// Records when temporary credentials expire.
    pub fn with_expiry(mut self, expires_at: Option<SystemTime>) -> Self {
        self.expires_at = expires_at;
        self
    }

    /// When these credentials expire, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether these credentials expire within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }

    /// The secret access key (for signing, and for handing temporary credentials on).
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token, for temporary credentials.
    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }

    /// The access key ID (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// Whether these are temporary credentials (with a session token).
    pub fn is_temporary(&self) -> bool {
        self.session_token.is_some()
    }

    /// The identity `aws-sigv4` signs with.
    pub(crate) fn identity(&self) -> Identity {
        aws_credential_types::Credentials::new(
            &self.access_key_id,
            self.secret_access_key.expose(),
            self.session_token.as_ref().map(|t| t.expose().to_owned()),
            self.expires_at,
            "s3-connector",
        )
        .into()
    }
}

/// Where a client gets the credentials it signs with, each time it signs a request: fixed keys
/// ([`Credentials`] itself), or temporary ones obtained and renewed by the provider (an assumed
/// role: `RoleCredentials` in the `sts` operations).
#[async_trait]
pub trait CredentialsProvider: Send + Sync {
    /// The credentials to sign with now.
    async fn credentials(&self) -> Result<Credentials>;
}

/// Fixed keys provide themselves.
#[async_trait]
impl CredentialsProvider for Credentials {
    async fn credentials(&self) -> Result<Credentials> {
        Ok(self.clone())
    }
}
