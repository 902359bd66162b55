//! A connection: the credentials and the place (provider, region, endpoint) every module talks
//! to, and how uploads carry checksums there; and what it becomes on the wire: its
//! [`Endpoint`], the check of an [`EgressPolicy`] against it, and its [`S3Client`] (signed with
//! its keys, or with a role assumed with them). A [`Provider`] fills in the defaults of a known
//! store (its endpoint URL, region, addressing style, checksum settings); the connection's own
//! fields win over them.

use crate::error::{Error, Result};
use crate::framework::provider::Provider;
use crate::framework::validate;
use crate::ops::sts::{AssumeRoleRequest, RoleCredentials};
use crate::wire::checksum::ChecksumAlgorithm;
use crate::wire::client::{ClientOptions, S3Client};
use crate::wire::credentials::{Credentials, CredentialsProvider};
use crate::wire::egress::EgressPolicy;
use crate::wire::endpoint::{AddressingStyle, Endpoint, Target, without_userinfo};
use crate::wire::headers::parse_rfc3339;
use crate::wire::payload::{ChecksumPolicy, ChecksumSettings, PayloadSigning};
use crate::wire::secret::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The region used when none is given, as the AWS CLI does.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An Amazon S3 connection: an access key pair (and a session token for temporary
/// credentials), the region, and for S3-compatible stores their endpoint URL.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Amazon S3 connection")]
pub struct Connection {
    /// The access key ID of an IAM user or role (it starts with `AKIA`, or `ASIA` for temporary
    /// credentials). Create one in the IAM console under Users → Security credentials.
    #[schemars(title = "Access key ID", transform = validate::schema::access_key_id)]
    pub access_key_id: String,

    /// The secret access key shown once when the access key was created. It is used only to
    /// sign requests and is never shown again, logged, or returned.
    #[schemars(title = "Secret access key", transform = validate::schema::trimmed)]
    pub secret_access_key: Secret,

    /// Only for temporary credentials (from STS, e.g. AssumeRole or an SSO session): the session
    /// token that goes with the access key. Leave empty for a long-term access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Session token", transform = validate::schema::header_token)]
    pub session_token: Option<Secret>,

    /// The store you connect to: Amazon S3, Cloudflare R2, MinIO, Garage, Backblaze B2, Wasabi,
    /// or another S3-compatible store. It fills in what that store needs (its endpoint URL
    /// from the region or account ID, path-style URLs, which checksums it takes); anything you
    /// set below wins. Leave empty for Amazon S3, or for another store when you give its
    /// endpoint URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Provider", extend("x-options" = {"provider": "providers"}))]
    pub provider: Option<Provider>,

    /// Cloudflare R2 only: your account ID (32 letters and digits, under Account details in the
    /// R2 dashboard). The endpoint URL `https://ACCOUNT_ID.r2.cloudflarestorage.com` is made
    /// from it. Not needed when you give the endpoint URL yourself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        title = "Account ID (Cloudflare R2)",
        length(max = 63),
        regex(pattern = r"^[A-Za-z0-9]+$")
    )]
    pub account_id: Option<String>,

    /// The region of your buckets, e.g. `eu-west-1` (on Backblaze B2 like `us-west-004`, on
    /// Cloudflare R2 `auto`). Requests are signed for this region.
    #[serde(default = "default_region")]
    #[schemars(title = "Region", transform = validate::schema::region, extend("x-options" = {"provider": "regions"}))]
    pub region: String,

    /// For S3-compatible stores only (MinIO, Garage, Ceph, a local test server): the endpoint
    /// URL, e.g. `http://127.0.0.1:9000`. Leave empty for Amazon S3, and for Cloudflare R2,
    /// Backblaze B2 and Wasabi, whose endpoint comes from the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Endpoint URL", transform = validate::schema::endpoint_url)]
    pub endpoint_url: Option<String>,

    /// How buckets are addressed in URLs. `auto` fits Amazon S3 and most other stores (and
    /// takes the provider's choice, e.g. path style on R2 and Wasabi).
    #[serde(default)]
    #[schemars(title = "Addressing style")]
    pub addressing_style: AddressingStyle,

    /// When uploads send a checksum of their bytes that the store checks (`x-amz-checksum-*`):
    /// `when_supported` on every upload (Amazon S3 and current stores), or `when_required` only
    /// where S3 requires one (for stores that refuse these headers, e.g. Backblaze B2 or an
    /// older MinIO). Leave empty for the provider's default; with an unnamed store, uploads
    /// then stop sending them by themselves if the store refuses them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Checksum policy")]
    pub checksum_policy: Option<ChecksumPolicy>,

    /// Whether streamed uploads sign every chunk of their bytes: `auto` (signed over plain
    /// HTTP, unsigned over HTTPS, where TLS already protects them), `signed`, or `unsigned`.
    /// Leave empty for `auto`. Setting it also streams uploads on stores whose provider sends
    /// checksums in headers instead (Cloudflare R2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Payload signing")]
    pub payload_signing: Option<PayloadSigning>,

    /// The checksum uploads send when none is asked for: CRC32C (the default), CRC32,
    /// CRC64NVME, SHA1 or SHA256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Checksum algorithm")]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,

    /// Work as this IAM role (e.g. `arn:aws:iam::123456789012:role/s3-reader`): the keys above
    /// assume it with STS and every request uses its temporary credentials, renewed before they
    /// expire. Leave empty to use the keys directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Role ARN", transform = validate::schema::role_arn)]
    pub role_arn: Option<String>,

    /// With a role: the external ID its trust policy requires, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "External ID")]
    pub external_id: Option<String>,

    /// With a role: the session name that appears in CloudTrail (default `s3-connector`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Role session name", transform = validate::schema::role_session_name)]
    pub role_session_name: Option<String>,

    /// For temporary credentials: when they expire (RFC 3339), if known. Filled in by Assume
    /// Role; used to warn when a presigned URL would outlive its credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Credentials expire at", transform = validate::schema::rfc3339)]
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
            .field("provider", &self.provider)
            .field("account_id", &self.account_id)
            .field("region", &self.region)
            .field(
                "endpoint_url",
                &self.endpoint_url.as_deref().map(without_userinfo),
            )
            .field("addressing_style", &self.addressing_style)
            .field("checksum_policy", &self.checksum_policy)
            .field("payload_signing", &self.payload_signing)
            .field("checksum_algorithm", &self.checksum_algorithm)
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
            provider: None,
            account_id: None,
            region: default_region(),
            endpoint_url: None,
            addressing_style: AddressingStyle::Auto,
            checksum_policy: None,
            payload_signing: None,
            checksum_algorithm: None,
            role_arn: None,
            external_id: None,
            role_session_name: None,
            expiration: None,
        }
    }

    /// The connection's own keys (before any role is assumed).
    pub fn credentials(&self) -> Credentials {
        let expires_at = self.expiration.as_deref().and_then(parse_rfc3339);
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

    /// Names the store (its defaults fill in what the connection leaves empty).
    pub fn with_provider(mut self, provider: Provider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Sets the Cloudflare account ID (R2's endpoint is made from it).
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Sets when uploads send a flexible checksum.
    pub fn with_checksum_policy(mut self, policy: ChecksumPolicy) -> Self {
        self.checksum_policy = Some(policy);
        self
    }

    /// The store this connection talks to: the one it names, else Amazon S3 without an
    /// endpoint URL and `other` with one.
    pub fn provider(&self) -> Provider {
        self.provider
            .unwrap_or_else(|| Provider::implied(self.endpoint_url.is_some()))
    }

    /// The region requests are signed for: the connection's, or when it is left at the default
    /// (`us-east-1`) the provider's own (`auto` on R2).
    pub fn signing_region(&self) -> &str {
        match self.provider().default_region() {
            Some(region) if self.region == DEFAULT_REGION => region,
            _ => &self.region,
        }
    }

    /// How uploads carry checksums: the provider's defaults, with the connection's own
    /// `checksum_policy`, `payload_signing` and `checksum_algorithm` over them. A chosen policy
    /// is kept as it is (no automatic downgrade); a chosen payload signing streams uploads.
    pub fn checksum_settings(&self) -> ChecksumSettings {
        let mut settings = self.provider().checksum_settings();
        if let Some(policy) = self.checksum_policy {
            settings.policy = policy;
            settings.downgrade_when_refused = false;
        }
        if let Some(signing) = self.payload_signing {
            settings.payload_signing = signing;
            settings.streaming = true;
        }
        if let Some(algorithm) = self.checksum_algorithm {
            settings.algorithm = algorithm;
        }
        settings
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
        Self::checked(serde_json::from_str(text))
    }

    /// Reads a connection from a JSON value (a connection given inside a request).
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        Self::checked(serde_json::from_value(value))
    }

    /// A connection read, once its fields are checked.
    fn checked(read: serde_json::Result<Connection>) -> Result<Self> {
        let connection = read.map_err(|err| {
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
        validate::region("connection.region", &self.region)?;
        Endpoint::of_store(self)?;
        if let Some(role_arn) = &self.role_arn {
            validate::role_arn("connection.role_arn", role_arn)?;
        }
        if let Some(name) = &self.role_session_name {
            validate::role_session_name("connection.role_session_name", name)?;
        }
        if let Some(expiration) = &self.expiration
            && parse_rfc3339(expiration).is_none()
        {
            return Err(Error::invalid_input(
                "connection.expiration",
                format!("{expiration:?} is not an RFC 3339 time like 2026-01-15T12:00:00Z"),
            ));
        }
        Ok(())
    }
}

impl Endpoint {
    /// The endpoint of a connection: its endpoint URL, else its provider's (R2's from the
    /// account ID, B2's and Wasabi's from the region), else Amazon S3 in its region; with its
    /// addressing style (`auto`: the provider's).
    pub fn for_connection(connection: &Connection) -> Result<Self> {
        let style = match connection.addressing_style {
            AddressingStyle::Auto => connection.provider().addressing_style(),
            chosen => chosen,
        };
        Self::of_store(connection)?.with_addressing_style(style)
    }

    /// Where a connection's store is, before its addressing style. A provider without a URL of
    /// its own and a connection without one is refused (`connection.endpoint_url`), and so is
    /// R2 without the account ID (`connection.account_id`).
    fn of_store(connection: &Connection) -> Result<Self> {
        let provider = connection.provider();
        if let Some(account_id) = &connection.account_id {
            Self::r2(account_id)?;
        }
        if let Some(url) = &connection.endpoint_url {
            return Self::parse_custom(url);
        }
        match provider {
            Provider::Aws => Ok(Self::aws(&connection.region)),
            Provider::B2 => Self::b2(&connection.region),
            Provider::Wasabi => Self::wasabi(&connection.region),
            Provider::R2 => match connection.account_id.as_deref() {
                Some(account_id) if !account_id.is_empty() => Self::r2(account_id),
                _ => Err(Error::invalid_input(
                    "connection.account_id",
                    "a Cloudflare R2 connection needs your account ID (under Account details in \
                     the R2 dashboard), or the endpoint URL \
                     https://ACCOUNT_ID.r2.cloudflarestorage.com",
                )),
            },
            Provider::Minio | Provider::Garage | Provider::Other => Err(Error::invalid_input(
                "connection.endpoint_url",
                format!(
                    "a {} connection needs the endpoint URL of the server, e.g. \
                     http://127.0.0.1:9000",
                    provider.label()
                ),
            )),
        }
    }
}

impl EgressPolicy {
    /// Whether `connection` may be used: its endpoint (Amazon S3 in its region when it has
    /// none) and, when it assumes a role, the STS endpoint it would call. The error is
    /// `access_denied`, field `connection.endpoint_url`.
    pub fn check_connection(&self, connection: &Connection) -> Result<()> {
        if !self.is_restricted() {
            return Ok(());
        }
        let endpoint = Endpoint::for_connection(connection)?;
        self.check_endpoint(&endpoint)?;
        if connection.role_arn.is_some() {
            self.check_url(endpoint.url(&Target::Sts, &[])?.as_str())?;
        }
        Ok(())
    }
}

impl S3Client {
    /// A client for `connection` (validated here; nothing is sent).
    pub fn new(connection: Connection) -> Result<Self> {
        client_for(&connection, ClientOptions::default(), false)
    }

    /// A client with other timeouts, retries or egress policy. With a restricted policy, a
    /// connection whose endpoint (or, with a role, STS endpoint) the policy does not allow is
    /// refused here (`access_denied`, field `connection.endpoint_url`), before anything is sent.
    pub fn with_options(connection: Connection, options: ClientOptions) -> Result<Self> {
        client_for(&connection, options, false)
    }

    /// A client that sends nothing: the first request a module makes is signed and kept (see
    /// [`S3Client::dry_run_request`]), and the module stops there. With a role, that is the
    /// AssumeRole request.
    pub fn new_dry_run(connection: Connection) -> Result<Self> {
        client_for(&connection, ClientOptions::default(), true)
    }
}

/// The client of `connection`: its endpoint, its region, and its keys or the role they assume.
/// Its uploads carry checksums as the connection says ([`Connection::checksum_settings`]), over
/// whatever `options.checksums` held.
fn client_for(
    connection: &Connection,
    mut options: ClientOptions,
    dry_run: bool,
) -> Result<S3Client> {
    connection.validate()?;
    let endpoint = Endpoint::for_connection(connection)?;
    options.egress.check_connection(connection)?;
    options.checksums = connection.checksum_settings();
    let keys: Arc<dyn CredentialsProvider> = Arc::new(connection.credentials());
    let region = connection.signing_region().to_owned();
    let client = if dry_run {
        S3Client::dry_run_from_parts(endpoint, region, keys, options)?
    } else {
        S3Client::from_parts(endpoint, region, keys, options)?
    };
    let Some(role_arn) = &connection.role_arn else {
        return Ok(client);
    };
    let role = AssumeRoleRequest {
        role_arn: role_arn.clone(),
        role_session_name: connection
            .role_session_name
            .clone()
            .unwrap_or_else(|| "s3-connector".to_owned()),
        external_id: connection.external_id.clone(),
        duration_seconds: None,
        policy: None,
    };
    Ok(client.with_credentials(Arc::new(RoleCredentials::new(client.clone(), role))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

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

    #[test]
    fn json_values_read_as_text_does() {
        let value = serde_json::json!({"access_key_id": "AK", "secret_access_key": "SK",
                                       "region": "eu-west-1", "addressing_style": "path"});
        let c = Connection::from_value(value.clone()).unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.addressing_style, AddressingStyle::Path);
        assert_eq!(
            format!("{c:?}"),
            format!("{:?}", Connection::from_json(&value.to_string()).unwrap())
        );
        let err = Connection::from_value(serde_json::json!({"access_key_id": "AK",
            "secret_access_key": "SK", "regoin": "x"}))
        .unwrap_err();
        assert_eq!(err.field(), Some("connection"));
        assert!(err.message().contains("regoin"), "{}", err.message());
        let err = Connection::from_value(serde_json::json!({"access_key_id": "AK",
            "secret_access_key": " SK"}))
        .unwrap_err();
        assert_eq!(err.field(), Some("connection.secret_access_key"));
    }

    #[test]
    fn the_endpoint_comes_from_the_fields() {
        let aws = Connection::new("AK", "SK").with_region("eu-west-1");
        assert_eq!(
            Endpoint::for_connection(&aws).unwrap(),
            Endpoint::aws("eu-west-1")
        );
        let local = Connection::new("AK", "SK")
            .with_endpoint_url("http://127.0.0.1:9000")
            .with_addressing_style(AddressingStyle::Path);
        let endpoint = Endpoint::for_connection(&local).unwrap();
        assert_eq!(
            endpoint.url(&Target::bucket("b"), &[]).unwrap().as_str(),
            "http://127.0.0.1:9000/b"
        );
        assert_eq!(endpoint.custom_url(), Some("http://127.0.0.1:9000"));
        let err = Endpoint::for_connection(&local.with_addressing_style(AddressingStyle::Virtual))
            .unwrap_err();
        assert_eq!(err.field(), Some("connection.addressing_style"));
    }

    /// What a connection becomes on the wire: the URL of object `bkt/k`, the signing region and
    /// the checksum settings of its client.
    fn wire(connection: Connection) -> (String, String, ChecksumSettings) {
        let client = S3Client::new(connection).unwrap();
        let url = client
            .endpoint()
            .url(&Target::object("bkt", "k"), &[])
            .unwrap()
            .to_string();
        (url, client.region().to_owned(), *client.checksum_settings())
    }

    fn named(provider: &str, more: serde_json::Value) -> Connection {
        let mut value = serde_json::json!({"access_key_id": "AK", "secret_access_key": "SK",
                                           "provider": provider});
        value
            .as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        Connection::from_value(value).unwrap()
    }

    #[test]
    fn each_provider_fills_in_its_endpoint_region_addressing_and_checksums() {
        let defaults = ChecksumSettings::default();
        let (url, region, settings) =
            wire(named("aws", serde_json::json!({"region": "eu-west-1"})));
        assert_eq!(url, "https://bkt.s3.eu-west-1.amazonaws.com/k");
        assert_eq!(region, "eu-west-1");
        assert_eq!(settings, defaults);

        let account = "0123456789abcdef0123456789abcdef";
        let (url, region, settings) = wire(named("r2", serde_json::json!({"account_id": account})));
        assert_eq!(
            url,
            format!("https://{account}.r2.cloudflarestorage.com/bkt/k")
        );
        assert_eq!(region, "auto");
        assert!(!settings.streaming && !settings.full_object_multipart);
        assert_eq!(settings.policy, ChecksumPolicy::WhenSupported);
        assert_eq!(settings.algorithm, ChecksumAlgorithm::Crc32c);

        let (url, region, settings) =
            wire(named("b2", serde_json::json!({"region": "us-west-004"})));
        assert_eq!(url, "https://s3.us-west-004.backblazeb2.com/bkt/k");
        assert_eq!(region, "us-west-004");
        assert_eq!(settings.policy, ChecksumPolicy::WhenRequired);
        assert!(!settings.downgrade_when_refused);

        let (url, region, settings) = wire(named("wasabi", serde_json::json!({})));
        assert_eq!(url, "https://s3.wasabisys.com/bkt/k");
        assert_eq!(region, "us-east-1");
        assert_eq!(settings.policy, ChecksumPolicy::WhenRequired);
        let (url, _, _) = wire(named(
            "wasabi",
            serde_json::json!({"region": "eu-central-2"}),
        ));
        assert_eq!(url, "https://s3.eu-central-2.wasabisys.com/bkt/k");

        let at = serde_json::json!({"endpoint_url": "http://minio.local:9000"});
        let (url, region, settings) = wire(named("minio", at.clone()));
        assert_eq!(url, "http://minio.local:9000/bkt/k");
        assert_eq!(region, "us-east-1");
        assert_eq!(settings, defaults);
        let (url, _, settings) = wire(named("garage", at.clone()));
        assert_eq!(url, "http://minio.local:9000/bkt/k");
        assert!(settings.streaming && !settings.full_object_multipart);

        for other in [named("other", at.clone()), Connection::from_value(serde_json::json!(
            {"access_key_id": "AK", "secret_access_key": "SK", "endpoint_url": "http://minio.local:9000"})).unwrap()]
        {
            assert_eq!(other.provider(), Provider::Other);
            let (url, _, settings) = wire(other);
            assert_eq!(url, "http://minio.local:9000/bkt/k");
            assert!(settings.downgrade_when_refused);
            assert_eq!(settings.policy, ChecksumPolicy::WhenSupported);
        }
    }

    #[test]
    fn the_connections_own_fields_win_over_its_provider() {
        let (url, region, settings) = wire(named(
            "r2",
            serde_json::json!({"endpoint_url": "https://eu.r2.example.com", "region": "eu",
                               "addressing_style": "virtual", "payload_signing": "unsigned",
                               "checksum_algorithm": "CRC64NVME"}),
        ));
        assert_eq!(url, "https://bkt.eu.r2.example.com/k");
        assert_eq!(region, "eu");
        assert_eq!(settings.payload_signing, PayloadSigning::Unsigned);
        assert!(settings.streaming);
        assert_eq!(settings.algorithm, ChecksumAlgorithm::Crc64Nvme);

        let (_, _, settings) = wire(named(
            "b2",
            serde_json::json!({"region": "us-west-004", "checksum_policy": "when_supported"}),
        ));
        assert_eq!(settings.policy, ChecksumPolicy::WhenSupported);
        // A policy chosen on an unnamed store is kept as it is: no automatic downgrade.
        let (_, _, settings) = wire(
            Connection::new("AK", "SK")
                .with_endpoint_url("http://127.0.0.1:9000")
                .with_checksum_policy(ChecksumPolicy::WhenSupported),
        );
        assert!(!settings.downgrade_when_refused);
        let (url, _, _) = wire(named(
            "wasabi",
            serde_json::json!({"endpoint_url": "https://s3.ap-northeast-1.wasabisys.com"}),
        ));
        assert_eq!(url, "https://s3.ap-northeast-1.wasabisys.com/bkt/k");
    }

    #[test]
    fn a_provider_without_its_place_is_refused() {
        let value = |more: serde_json::Value| {
            let mut value = serde_json::json!({"access_key_id": "AK", "secret_access_key": "SK"});
            value
                .as_object_mut()
                .unwrap()
                .extend(more.as_object().unwrap().clone());
            value
        };
        let err = Connection::from_value(value(serde_json::json!({"provider": "r2"}))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.field(), Some("connection.account_id"));
        assert!(err.message().contains("account ID"), "{}", err.message());
        let err = Connection::from_value(value(
            serde_json::json!({"provider": "r2", "account_id": "x.evil.com"}),
        ))
        .unwrap_err();
        assert_eq!(err.field(), Some("connection.account_id"));
        for provider in ["minio", "garage", "other"] {
            let err = Connection::from_value(value(serde_json::json!({"provider": provider})))
                .unwrap_err();
            assert_eq!(err.field(), Some("connection.endpoint_url"), "{provider}");
        }
        let err =
            Connection::from_value(value(serde_json::json!({"provider": "dropbox"}))).unwrap_err();
        assert_eq!(err.field(), Some("connection"));
        assert!(err.message().contains("dropbox"), "{}", err.message());
    }

    /// The form picks the provider from the `providers` list; every new field is optional.
    #[test]
    fn the_schema_offers_the_providers() {
        let schema = serde_json::to_value(schemars::schema_for!(Connection)).unwrap();
        let properties = &schema["properties"];
        assert_eq!(
            properties["provider"]["x-options"],
            serde_json::json!({"provider": "providers"})
        );
        let required = schema["required"].as_array().unwrap();
        for field in [
            "provider",
            "account_id",
            "checksum_policy",
            "payload_signing",
            "checksum_algorithm",
        ] {
            assert!(properties[field]["title"].is_string(), "{field}");
            assert!(properties[field]["description"].is_string(), "{field}");
            assert!(!required.contains(&field.into()), "{field}");
        }
    }

    /// A connection stored before providers existed reads as it did, and is written back the
    /// same (no new field appears).
    #[test]
    fn connections_stored_before_providers_still_load() {
        let stored = r#"{"access_key_id":"AK","secret_access_key":"SK","region":"eu-west-1","endpoint_url":"http://127.0.0.1:9000","addressing_style":"path"}"#;
        let c = Connection::from_json(stored).unwrap();
        assert_eq!(c.provider, None);
        assert_eq!(c.provider(), Provider::Other);
        assert_eq!(c.signing_region(), "eu-west-1");
        let mut back = serde_json::to_value(&c).unwrap();
        back["secret_access_key"] = "SK".into();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(stored).unwrap()
        );
        let aws =
            Connection::from_json(r#"{"access_key_id":"AK","secret_access_key":"SK"}"#).unwrap();
        assert_eq!(aws.provider(), Provider::Aws);
        assert_eq!(aws.checksum_settings(), ChecksumSettings::default());
    }

    #[test]
    fn connections_are_checked_with_their_sts_endpoint() {
        let policy = EgressPolicy::allowing(["http://127.0.0.1:9000"]).unwrap();
        let aws = Connection::new("AK", "SK").with_region("eu-west-1");
        policy.check_connection(&aws).unwrap();
        policy
            .check_connection(&aws.clone().with_role("arn:aws:iam::123456789012:role/r"))
            .unwrap();
        let local = aws.clone().with_endpoint_url("http://127.0.0.1:9000");
        policy.check_connection(&local).unwrap();
        let metadata = aws.with_endpoint_url("http://169.254.169.254");
        let err = policy.check_connection(&metadata).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        assert_eq!(err.field(), Some("connection.endpoint_url"));
        assert!(
            err.message()
                .contains("--allow-endpoint http://169.254.169.254"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_connection_names_an_allowed_endpoint_exactly() {
        let policy = EgressPolicy::allowing(["https://example.com"]).unwrap();
        let exact = Connection::new("AK", "SK").with_endpoint_url("https://example.com");
        policy.check_connection(&exact).unwrap();
        let under = Connection::new("AK", "SK").with_endpoint_url("https://intranet.example.com");
        let err = policy.check_connection(&under).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        // A bucket's virtual-hosted name under the allowed host is still that endpoint.
        policy
            .check_url("https://my-bucket.example.com/key")
            .unwrap();
    }

    #[tokio::test]
    async fn a_role_whose_sts_name_resolves_to_this_host_is_not_assumed() {
        let (port, connections) = crate::wire::egress::tests::counting_listener().await;
        let policy = EgressPolicy::aws_only()
            .with_lookup(move |_name| vec![std::net::SocketAddr::from(([127, 0, 0, 1], port))]);
        let client = S3Client::with_options(
            Connection::new("AK", "SK").with_role("arn:aws:iam::123456789012:role/r"),
            ClientOptions {
                egress: policy,
                max_attempts: 1,
                ..Default::default()
            },
        )
        .unwrap();
        let err = client.credentials().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.message());
        assert!(
            err.message()
                .contains("sts.us-east-1.amazonaws.com resolves to 127.0.0.1"),
            "{}",
            err.message()
        );
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_dry_run_with_a_role_keeps_the_assume_role_request() {
        let role = Connection::new("AK", "SK").with_role("arn:aws:iam::123456789012:role/r");
        let client = S3Client::new_dry_run(role).unwrap();
        // A dry run's transport keeps the request and never answers it.
        let sent = client
            .request(http::Method::GET, Target::bucket("b"))
            .send();
        let recorded = client.recorder().unwrap().recorded();
        tokio::select! {
            _ = recorded => {}
            answer = sent => panic!("a dry run answered: {answer:?}"),
        }
        let kept = client.dry_run_request().unwrap();
        assert_eq!(kept.service, "sts");
        assert_eq!(kept.url.as_str(), "https://sts.us-east-1.amazonaws.com/");
        assert_eq!(
            kept.header("authorization")
                .map(|a| a.contains("Credential=AK/")),
            Some(true)
        );
    }
}
