//! The S3 client: the endpoint it sends to, the region it signs for, its HTTP connection pool
//! and retry quota, where requests may go, and where its credentials come from (a
//! [`CredentialsProvider`]). Requests are sent with `S3Client::send` (in `wire::send`, above
//! this file) through the client's [`Transport`]: HTTP, or in a dry run a recorder.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::checksum::ChecksumAlgorithm;
use crate::wire::credentials::{Credentials, CredentialsProvider};
use crate::wire::egress::EgressPolicy;
use crate::wire::endpoint::Endpoint;
use crate::wire::payload::{BodySource, ChecksumPolicy, ChecksumSettings};
use crate::wire::prepared::PreparedRequest;
use crate::wire::request::PayloadChecksum;
use crate::wire::retry::{RetryPolicy, RetryQuota};
use crate::wire::transport::{Recorder, Transport};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
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
    /// How uploads are checksummed and framed (default: CRC32C, computed while streaming). A
    /// connection's client takes them from the connection (its provider and checksum fields),
    /// whatever is given here.
    pub checksums: ChecksumSettings,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_attempts: 3,
            egress: EgressPolicy::default(),
            checksums: ChecksumSettings::default(),
        }
    }
}
/// A client: an endpoint, a region, credentials and the means to send. Cheap to clone; clones
/// share the HTTP connection pool.
#[derive(Clone)]
pub struct S3Client {
    inner: Arc<Inner>,
    /// Where the credentials requests are signed with come from.
    credentials: Arc<dyn CredentialsProvider>,
}

/// What every client made from the same parts shares (see [`S3Client::with_credentials`]).
pub(crate) struct Inner {
    pub(crate) endpoint: Endpoint,
    /// The region requests are signed for unless they say otherwise.
    pub(crate) region: String,
    /// Where signed requests go: HTTP, or a recorder in a dry run.
    pub(crate) transport: Transport,
    pub(crate) retry: RetryPolicy,
    pub(crate) quota: RetryQuota,
    /// Where requests may go; checked before each one is sent.
    pub(crate) egress: EgressPolicy,
    /// How uploads are checksummed and framed.
    checksums: ChecksumSettings,
    /// The same, `when_required`: what the client uses once the store refused a flexible
    /// checksum (see `checksums_downgraded`).
    classic_checksums: ChecksumSettings,
    /// Whether the store refused a flexible checksum and the client stopped sending them.
    checksums_downgraded: AtomicBool,
    /// Server time − local time, in milliseconds, learned from skew errors.
    clock_skew_ms: AtomicI64,
    /// Regions learned for buckets outside the client's region.
    bucket_regions: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client")
            .field("endpoint", &self.inner.endpoint)
            .field("region", &self.inner.region)
            .finish_non_exhaustive()
    }
}

impl S3Client {
    /// A client that sends to `endpoint`, signing for `region` with what `credentials`
    /// provides. With a restricted egress policy, an endpoint the policy does not allow is
    /// refused here (`access_denied`, field `connection.endpoint_url`), before anything is sent.
    /// (A connection's client is made by `S3Client::new`, in the framework's `connection`.)
    pub fn from_parts(
        endpoint: Endpoint,
        region: impl Into<String>,
        credentials: Arc<dyn CredentialsProvider>,
        options: ClientOptions,
    ) -> Result<Self> {
        Self::build(endpoint, region.into(), credentials, options, false)
    }

    /// A client that sends nothing: its transport records (see [`Recorder`]). The first request
    /// made with it (or with a client made from it by [`with_credentials`](Self::with_credentials))
    /// is signed and kept ([`S3Client::dry_run_request`]); a recorded request never gets an
    /// answer, so whoever runs the work waits on [`S3Client::recorder`] beside it and stops it.
    pub fn dry_run_from_parts(
        endpoint: Endpoint,
        region: impl Into<String>,
        credentials: Arc<dyn CredentialsProvider>,
        options: ClientOptions,
    ) -> Result<Self> {
        Self::build(endpoint, region.into(), credentials, options, true)
    }

    fn build(
        endpoint: Endpoint,
        region: String,
        credentials: Arc<dyn CredentialsProvider>,
        options: ClientOptions,
        dry_run: bool,
    ) -> Result<Self> {
        options.egress.check_endpoint(&endpoint)?;
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
        Ok(S3Client {
            inner: Arc::new(Inner {
                endpoint,
                region,
                transport: if dry_run {
                    Transport::Recording(Box::default())
                } else {
                    Transport::Http(http)
                },
                retry: RetryPolicy::standard().with_max_attempts(options.max_attempts),
                quota: RetryQuota::default(),
                egress: options.egress,
                checksums: options.checksums,
                classic_checksums: ChecksumSettings {
                    policy: ChecksumPolicy::WhenRequired,
                    ..options.checksums
                },
                checksums_downgraded: AtomicBool::new(false),
                clock_skew_ms: AtomicI64::new(0),
                bucket_regions: Mutex::new(HashMap::new()),
            }),
            credentials,
        })
    }

    /// The same client signing with what `credentials` provides instead. Everything else is
    /// shared: the connection pool, the retry quota, the learned clock skew and bucket regions,
    /// and in a dry run the kept request.
    pub fn with_credentials(&self, credentials: Arc<dyn CredentialsProvider>) -> Self {
        S3Client {
            inner: self.inner.clone(),
            credentials,
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The region requests are signed for, unless one says otherwise (a connection's region).
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// How uploads are checksummed and framed: the client's settings, or once the store
    /// refused a flexible checksum ([`S3Client::checksums_downgraded`]) the same with the
    /// `when_required` policy.
    pub fn checksum_settings(&self) -> &ChecksumSettings {
        if self.checksums_downgraded() {
            &self.inner.classic_checksums
        } else {
            &self.inner.checksums
        }
    }

    /// Whether the store refused a flexible checksum and this client (with its clones) stopped
    /// sending them: requests go the `when_required` way (see
    /// `ChecksumSettings::downgrade_when_refused`).
    pub fn checksums_downgraded(&self) -> bool {
        self.inner.checksums_downgraded.load(Ordering::Relaxed)
    }

    /// Stops sending flexible checksums; `true` the first time (the one to say so).
    pub(crate) fn downgrade_checksums(&self) -> bool {
        !self
            .inner
            .checksums_downgraded
            .swap(true, Ordering::Relaxed)
    }

    /// The form of an upload's body from `source` with the checksum `asked` for, if any (see
    /// [`ChecksumSettings::upload_payload`]), for this client's endpoint.
    pub fn upload_payload(
        &self,
        asked: Option<ChecksumAlgorithm>,
        source: BodySource,
    ) -> Option<PayloadChecksum> {
        self.checksum_settings()
            .upload_payload(asked, source, self.inner.endpoint.is_https())
    }

    /// The credentials requests are signed with now, from the client's provider: a
    /// connection's keys, or an assumed role's temporary credentials (assumed on first use,
    /// renewed before they expire).
    pub async fn credentials(&self) -> Result<Credentials> {
        self.credentials.credentials().await
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
        self.recorder()?.first()
    }

    /// In a dry run, the recorder that keeps the requests instead of sending them.
    pub fn recorder(&self) -> Option<&Recorder> {
        self.inner.transport.recorder()
    }
}

/// The client end to end over its transports: what a dry run keeps and what the egress policy
/// refuses, checked by whether a loopback listener saw a connection.
#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::wire::client::{ClientOptions, S3Client};
    use crate::wire::credentials::Credentials;
    use crate::wire::egress::EgressPolicy;
    use crate::wire::egress::tests::counting_listener;
    use crate::wire::endpoint::{Endpoint, Target};
    use http::Method;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    fn client(port: u16, dry_run: bool) -> S3Client {
        let endpoint = Endpoint::parse_custom(&format!("http://127.0.0.1:{port}")).unwrap();
        let keys = Arc::new(Credentials::new("AK", "SK", None));
        let options = ClientOptions {
            max_attempts: 1,
            ..Default::default()
        };
        if dry_run {
            S3Client::dry_run_from_parts(endpoint, "us-east-1", keys, options).unwrap()
        } else {
            S3Client::from_parts(endpoint, "us-east-1", keys, options).unwrap()
        }
    }

    /// A dry run keeps the signed request and opens no connection; the same request with the
    /// HTTP transport does reach the listener (so the count would show a sent request).
    #[tokio::test]
    async fn a_dry_run_records_and_sends_nothing() {
        let (port, connections) = counting_listener().await;
        let dry = client(port, true);
        let sent = dry
            .request(Method::PUT, Target::object("b", "a b.txt"))
            .header("content-type", "text/plain")
            .body(crate::wire::body::Body::from_bytes("hi"))
            .send();
        let recorder = dry.recorder().expect("a dry run records");
        let kept = tokio::select! {
            kept = recorder.recorded() => kept,
            answer = sent => panic!("a dry run answered: {answer:?}"),
        };
        assert_eq!(kept.method, Method::PUT);
        assert_eq!(
            kept.url.as_str(),
            format!("http://127.0.0.1:{port}/b/a%20b.txt")
        );
        assert!(
            kept.header("authorization")
                .is_some_and(|a| a.contains("Signature="))
        );
        assert_eq!(kept.header("content-type"), Some("text/plain"));
        // Only the first request is kept.
        let second = dry.request(Method::GET, Target::bucket("other")).send();
        tokio::select! {
            biased;
            answer = second => panic!("a dry run answered: {answer:?}"),
            () = tokio::task::yield_now() => {}
        }
        assert_eq!(dry.dry_run_request().unwrap().url, kept.url);
        assert_eq!(connections.load(Ordering::SeqCst), 0, "a dry run connected");

        let real = client(port, false);
        assert!(real.recorder().is_none());
        let _refused = real.request(Method::GET, Target::bucket("b")).send().await;
        assert!(connections.load(Ordering::SeqCst) > 0);
    }

    #[tokio::test]
    async fn an_amazon_name_that_resolves_to_this_host_is_not_connected_to() {
        let (port, connections) = counting_listener().await;
        let policy = EgressPolicy::aws_only()
            .with_lookup(move |_name| vec![SocketAddr::from(([127, 0, 0, 1], port))]);
        let client = S3Client::from_parts(
            Endpoint::aws("us-east-1"),
            "us-east-1",
            Arc::new(Credentials::new("AK", "SK", None)),
            ClientOptions {
                egress: policy,
                max_attempts: 1,
                ..Default::default()
            },
        )
        .unwrap();
        let err = client
            .request(http::Method::GET, Target::bucket("my-bucket"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.message());
        assert_eq!(err.field(), Some("connection.endpoint_url"));
        assert!(!err.is_retryable());
        assert!(
            err.message()
                .contains("my-bucket.s3.us-east-1.amazonaws.com resolves to 127.0.0.1"),
            "{}",
            err.message()
        );
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
