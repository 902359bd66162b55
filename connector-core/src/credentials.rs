//! The keys a request is signed with.

use crate::secret::Secret;
use aws_smithy_runtime_api::client::identity::Identity;

/// An access key pair, with a session token when the credentials are temporary.
#[derive(Debug, Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
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
        }
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
            None,
            "s3-connector",
        )
        .into()
    }
}
