//! The S3 client of one connection: its endpoint, its HTTP connection pool, and where its
//! credentials come from (the connection's keys, or a role assumed with them and refreshed
//! before it expires).

use crate::connection::Connection;
use crate::credentials::Credentials;
use crate::egress::EgressPolicy;
use crate::endpoint::{Endpoint, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::prepared::PreparedRequest;
use crate::request::S3Request;
use crate::retry::{RetryPolicy, RetryQuota};
use crate::sts::{self, AssumeRoleRequest};
use http::Method;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// How a client talks to S3: timeouts, retries, and where requests may go.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long to wait for a TCP/TLS connection (default 10 s).
    pub connect_timeout: Duration,
    /// How long one read may wait for data before the transfer counts as stalled and fails
    /// with kind `timeout` (default 60 s).
    pub read_timeout: Duration,
    /// How many attempts a request gets in all (default 3, as the AWS SDKs).
    pub max_attempts: u32,
    /// Where requests may go (default: anywhere the connection points). A service that runs
    /// connections given by others sets a restricted policy; a connection whose endpoint it
    /// does not allow is refused when the client is made, and every request is checked again
    /// before it is sent and when its host name is resolved. Presigning sends nothing and is
    /// not restricted.
    pub egress: EgressPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_attempts: 3,
            egress: EgressPolicy::default(),
        }
    }
}
/// Assumed-role credentials are renewed when they have less than this left.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A client for one connection. Cheap to clone; clones share the HTTP connection pool.
#[derive(Clone)]
pub struct S3Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) connection: Connection,
    pub(crate) endpoint: Endpoint,
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) quota: RetryQuota,
    /// Where requests may go; checked before each one is sent.
    pub(crate) egress: EgressPolicy,
    /// Server time − local time, in milliseconds, learned from skew errors.
    clock_skew_ms: AtomicI64,
    source: CredentialSource,
    /// In a dry run: where the first request is kept instead of being sent.
    pub(crate) dry_run: Option<Mutex<Option<PreparedRequest>>>,
    /// Regions learned for buckets outside the connection's region.
    bucket_regions: Mutex<HashMap<String, String>>,
}

/// Where a client's credentials come from.
enum CredentialSource {
    /// The connection's own keys.
    Static(Credentials),
    /// A role assumed with the connection's keys.
    AssumeRole(Box<RoleSource>),
}

/// A role to assume, the keys to assume it with, and the temporary credentials last obtained.
struct RoleSource {
    base: Credentials,
    request: AssumeRoleRequest,
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client")
            .field("connection", &self.inner.connection)
            .finish_non_exhaustive()
    }
}

impl S3Client {
    /// A client for `connection` (validated here; nothing is sent).
    pub fn new(connection: Connection) -> Result<Self> {
        Self::build(connection, ClientOptions::default(), false)
    }

    /// A client with other timeouts, retries or egress policy. With a restricted policy, a
    /// connection whose endpoint (or, with a role, STS endpoint) the policy does not allow is
    /// refused here (`access_denied`, field `connection.endpoint_url`), before anything is sent.
    pub fn with_options(connection: Connection, options: ClientOptions) -> Result<Self> {
        Self::build(connection, options, false)
    }

    /// A client that sends nothing: the first request a module makes is signed and kept (see
    /// [`S3Client::dry_run_request`]), and the module stops there.
    pub fn new_dry_run(connection: Connection) -> Result<Self> {
        Self::build(connection, ClientOptions::default(), true)
    }

    fn build(connection: Connection, options: ClientOptions, dry_run: bool) -> Result<Self> {
        connection.validate()?;
        let endpoint = Endpoint::for_connection(&connection)?;
        options.egress.check_connection(&connection)?;
        // Redirects are never followed by the HTTP client: each request's URL is checked
        // against the egress policy before it is sent, and a redirect would bypass that.
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("s3-connector/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(resolver) = options.egress.resolver() {
            // Names are resolved by the policy's resolver, which drops the addresses they may
            // not reach. A proxy from the environment would resolve them itself, out of the
            // policy's sight, so a restricted client connects directly.
            http = http.dns_resolver(resolver).no_proxy();
        }
        let http = http.build().map_err(|err| {
            Error::new(
                ErrorKind::Network,
                format!("cannot start the HTTP client: {err}"),
            )
        })?;
        let base = connection.credentials();
        let source = match &connection.role_arn {
            Some(role_arn) => CredentialSource::AssumeRole(Box::new(RoleSource {
                base,
                request: AssumeRoleRequest {
                    role_arn: role_arn.clone(),
                    role_session_name: connection
                        .role_session_name
                        .clone()
                        .unwrap_or_else(|| "s3-connector".to_owned()),
                    external_id: connection.external_id.clone(),
                    duration_seconds: None,
                    policy: None,
                },
                cached: tokio::sync::Mutex::new(None),
            })),
            None => CredentialSource::Static(base),
        };
        Ok(S3Client {
            inner: Arc::new(Inner {
                endpoint,
                connection,
                http,
                retry: RetryPolicy::standard().with_max_attempts(options.max_attempts),
                quota: RetryQuota::default(),
                egress: options.egress,
                clock_skew_ms: AtomicI64::new(0),
                source,
                dry_run: dry_run.then(|| Mutex::new(None)),
                bucket_regions: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The connection this client uses.
    pub fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Starts a request.
    pub fn request(&self, method: Method, target: Target) -> S3Request<'_> {
        S3Request::new(self, method, target)
    }

    /// The credentials requests are signed with now: the connection's keys, or the assumed
    /// role's temporary credentials (assumed on first use, renewed 5 minutes before expiry).
    pub async fn credentials(&self) -> Result<Credentials> {
        match &self.inner.source {
            CredentialSource::Static(credentials) => Ok(credentials.clone()),
            CredentialSource::AssumeRole(role) => {
                let RoleSource {
                    base,
                    request,
                    cached,
                } = role.as_ref();
                let mut cached = cached.lock().await;
                if let Some(credentials) = cached.as_ref()
                    && !credentials.expires_within(REFRESH_MARGIN)
                {
                    return Ok(credentials.clone());
                }
                let assumed = Box::pin(sts::assume_role(self, base, request))
                    .await
                    .map_err(|err| err.context(format!("assuming {}", request.role_arn)))?;
                *cached = Some(assumed.credentials.clone());
                Ok(assumed.credentials)
            }
        }
    }

    /// The time requests are signed with: this machine's clock, corrected by the skew learned
    /// when S3 refused a request's time.
    pub fn signing_time(&self) -> SystemTime {
        let skew = self.inner.clock_skew_ms.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if skew >= 0 {
            now + Duration::from_millis(skew as u64)
        } else {
            now - Duration::from_millis(skew.unsigned_abs())
        }
    }

    /// Corrects the signing clock by `skew_ms` (server time − local time). The client does this
    /// itself when S3 refuses a request's time; a caller that knows its clock is wrong may too.
    pub fn set_clock_skew(&self, skew_ms: i64) {
        self.inner.clock_skew_ms.store(skew_ms, Ordering::Relaxed);
    }

    /// The region learned for `bucket` from an earlier redirect, if any.
    pub fn bucket_region(&self, bucket: &str) -> Option<String> {
        self.inner.bucket_regions.lock().ok()?.get(bucket).cloned()
    }

    /// Remembers that `bucket` is in `region`.
    pub fn remember_bucket_region(&self, bucket: &str, region: &str) {
        if let Ok(mut regions) = self.inner.bucket_regions.lock() {
            regions.insert(bucket.to_owned(), region.to_owned());
        }
    }

    /// In a dry run, the signed request that would have been sent first.
    pub fn dry_run_request(&self) -> Option<PreparedRequest> {
        let slot = self.inner.dry_run.as_ref()?;
        slot.lock().ok()?.clone()
    }
}
