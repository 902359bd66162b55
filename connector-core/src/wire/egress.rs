//! Where requests may go. A program run by its operator (the CLI, a library) may send requests
//! anywhere its connection points; a service that runs connections given by other people lets
//! the operator decide: Amazon S3 and STS themselves, plus the endpoints the operator allowed
//! (`--allow-endpoint URL`). Without that, anyone who can hand the service a connection could
//! make it call a cloud metadata service (169.254.169.254) or another service on its host and
//! read the answer back.
//!
//! A restricted [`EgressPolicy`] is enforced at three points, so that nothing leaves for a place
//! the operator did not allow:
//! - when a client is made for a connection, its endpoint (and, with a role, its STS endpoint)
//!   is checked ([`EgressPolicy::check_endpoint`], and for a whole connection
//!   `EgressPolicy::check_connection`, in the framework's `connection`);
//! - right before each request is sent, its URL is checked: region redirects and STS build URLs
//!   of their own, and no request ever leaves the allowed places;
//! - when a host name is looked up, the addresses it resolves to are checked, so a name cannot
//!   lead somewhere its text does not say (DNS rebinding): a name that is not an allowed endpoint
//!   reaches only public addresses, and no name reaches a link-local address (where cloud
//!   metadata services answer). An IP address written as the host is not looked up; it is
//!   allowed only when an allowed endpoint names that exact address.
//!
//! Presigned URLs and POST policies are not restricted: making them sends nothing, and whoever
//! receives the URL is the one who uses it.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::endpoint::{Endpoint, Target, is_region_code};
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// The input field a refusal names: the place requests go is the connection's endpoint.
const FIELD: &str = "connection.endpoint_url";

/// Where requests may go: anywhere ([`unrestricted`](Self::unrestricted), the default), or only
/// to Amazon S3 and STS plus the endpoints the operator allowed
/// ([`allowing`](Self::allowing)). Give it to a client with
/// `ClientOptions::egress` or to a context with `Context::with_egress_policy` (both above this
/// file). Presigning is not restricted: it sends nothing.
///
/// ```
/// use connector_core::wire::egress::EgressPolicy;
/// // A service: Amazon S3 and STS, plus a MinIO on this host.
/// let policy = EgressPolicy::allowing(["http://127.0.0.1:9000"]).unwrap();
/// assert!(policy.check_url("http://127.0.0.1:9000/bucket/key").is_ok());
/// assert!(policy.check_url("https://my-bucket.s3.eu-west-1.amazonaws.com/key").is_ok());
/// assert!(policy.check_url("http://169.254.169.254/latest/meta-data/").is_err());
/// ```
#[derive(Clone, Default)]
pub struct EgressPolicy {
    /// `None`: anywhere.
    restrictions: Option<Arc<Restrictions>>,
}

/// The places a restricted policy allows, and how host names are looked up.
#[derive(Clone)]
struct Restrictions {
    allowed: Vec<AllowedEndpoint>,
    lookup: Lookup,
}

/// Looks a host name up (port 0 in the answers means "the URL's port").
type Lookup = Arc<dyn Fn(String) -> LookupFuture + Send + Sync>;
type LookupFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

impl fmt::Debug for EgressPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.restrictions {
            None => f.write_str("EgressPolicy::Unrestricted"),
            Some(restrictions) => f
                .debug_tuple("EgressPolicy::Restricted")
                .field(&restrictions.allowed)
                .finish(),
        }
    }
}

impl PartialEq for EgressPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.allowed_endpoints() == other.allowed_endpoints()
            && self.is_restricted() == other.is_restricted()
    }
}

impl EgressPolicy {
    /// Requests may go anywhere a connection points (the default: a program run by its
    /// operator).
    pub fn unrestricted() -> Self {
        EgressPolicy::default()
    }

    /// Requests may go only to Amazon S3 and STS (`https://`, their own host names, public
    /// addresses); allow more with [`allow`](Self::allow).
    pub fn aws_only() -> Self {
        EgressPolicy {
            restrictions: Some(Arc::new(Restrictions {
                allowed: Vec::new(),
                lookup: Arc::new(|name| Box::pin(look_up(name))),
            })),
        }
    }

    /// Amazon S3 and STS, plus each endpoint URL in `urls` (the `--allow-endpoint` values;
    /// see [`AllowedEndpoint::parse`]).
    pub fn allowing<I>(urls: I) -> Result<Self>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        urls.into_iter().try_fold(Self::aws_only(), |policy, url| {
            policy.allow_url(url.as_ref())
        })
    }

    /// Also allows `endpoint`. An unrestricted policy stays as it is (it allows everything).
    pub fn allow(mut self, endpoint: AllowedEndpoint) -> Self {
        if let Some(restrictions) = &mut self.restrictions {
            let restrictions = Arc::make_mut(restrictions);
            if !restrictions.allowed.contains(&endpoint) {
                restrictions.allowed.push(endpoint);
            }
        }
        self
    }

    /// Also allows the endpoint of `url` (e.g. the embedded local store's
    /// `http://127.0.0.1:PORT`).
    pub fn allow_url(self, url: &str) -> Result<Self> {
        Ok(self.allow(AllowedEndpoint::parse(url)?))
    }

    /// Whether requests are limited to some places.
    pub fn is_restricted(&self) -> bool {
        self.restrictions.is_some()
    }

    /// The endpoints allowed besides Amazon S3 and STS (empty when unrestricted).
    pub fn allowed_endpoints(&self) -> &[AllowedEndpoint] {
        self.restrictions
            .as_deref()
            .map_or(&[], |restrictions| &restrictions.allowed)
    }

    /// Whether requests to `url` may be sent (its scheme, host and port; its address is checked
    /// when the connection is made). The error is `access_denied`, field
    /// `connection.endpoint_url`.
    pub fn check_url(&self, url: &str) -> Result<()> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|err| Error::invalid_input("url", format!("cannot parse the URL: {err}")))?;
        self.check(&parsed)
    }

    /// Whether a client may send to `endpoint` at all: Amazon S3, or an endpoint the operator
    /// allowed, named exactly (`intranet.example.com` is not `example.com`, although a bucket's
    /// virtual-hosted name under it is). The error is `access_denied`, field
    /// `connection.endpoint_url`.
    pub fn check_endpoint(&self, endpoint: &Endpoint) -> Result<()> {
        let Some(restrictions) = &self.restrictions else {
            return Ok(());
        };
        let service = endpoint.url(&Target::Service, &[])?;
        restrictions.check_endpoint(&service)?;
        Ok(())
    }

    /// Checks a URL about to be requested.
    pub(crate) fn check(&self, url: &reqwest::Url) -> Result<()> {
        match &self.restrictions {
            None => Ok(()),
            Some(restrictions) => restrictions.check(url).map_err(Error::from),
        }
    }

    /// The resolver a client with this policy looks host names up with (`None`: the usual one).
    pub(crate) fn resolver(&self) -> Option<Arc<CheckedResolver>> {
        self.restrictions
            .clone()
            .map(|restrictions| Arc::new(CheckedResolver { restrictions }))
    }

    /// The same policy, looking names up with `lookup` instead of the system's resolver (to
    /// test what happens when a name leads somewhere unexpected).
    #[cfg(test)]
    pub(crate) fn with_lookup(
        mut self,
        lookup: impl Fn(&str) -> Vec<SocketAddr> + Send + Sync + 'static,
    ) -> Self {
        if let Some(restrictions) = &mut self.restrictions {
            let lookup = Arc::new(lookup);
            Arc::make_mut(restrictions).lookup = Arc::new(move |name| {
                let found = lookup(&name);
                Box::pin(async move { Ok(found) })
            });
        }
        self
    }
}

/// The system's resolver, through tokio.
async fn look_up(name: String) -> std::io::Result<Vec<SocketAddr>> {
    Ok(tokio::net::lookup_host((name.as_str(), 0)).await?.collect())
}

/// One place the operator allowed: a scheme, a host (a name or an IP address) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedEndpoint {
    scheme: &'static str,
    host: Host,
    port: u16,
}

/// A URL's host: a name (lower case, without a trailing dot) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    fn of(url: &reqwest::Url) -> Option<Host> {
        let host = url.host_str()?;
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse().ok().map(Host::Ip);
        }
        if let Ok(v4) = host.parse::<Ipv4Addr>() {
            return Some(Host::Ip(v4.into()));
        }
        Some(Host::Name(normalize_name(host)))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

fn normalize_name(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.strip_suffix('.') {
        Some(name) => name.to_owned(),
        None => name,
    }
}

impl AllowedEndpoint {
    /// Parses an endpoint URL: `http://127.0.0.1:9000`, `https://minio.example.com` (the port
    /// defaults to the scheme's), `http://[::1]:9000`. Only scheme, host and port: no path,
    /// query or user. The error is `invalid_input`, field `allow_endpoint`.
    pub fn parse(url: &str) -> Result<Self> {
        let (scheme, parsed) = crate::wire::endpoint::parse_base_url(url, "allow_endpoint")?;
        let (Some(host), Some(port)) = (Host::of(&parsed), parsed.port_or_known_default()) else {
            return Err(Error::invalid_input(
                "allow_endpoint",
                format!("{url:?} has no host"),
            ));
        };
        Ok(AllowedEndpoint { scheme, host, port })
    }

    /// Whether a request to `scheme://host:port` goes to this endpoint: the same scheme and
    /// port, and its host or, for a host name, a bucket's virtual-hosted name under it
    /// (`BUCKET.minio.example.com`).
    fn admits(&self, scheme: &str, host: &Host, port: u16) -> bool {
        self.scheme == scheme && self.port == port && self.covers(host)
    }

    /// Whether `host` is this endpoint's host, or a bucket's name under it.
    fn covers(&self, host: &Host) -> bool {
        match (&self.host, host) {
            (Host::Ip(allowed), Host::Ip(ip)) => allowed == ip,
            (Host::Name(allowed), Host::Name(name)) => {
                name == allowed
                    || name
                        .strip_suffix(allowed.as_str())
                        .and_then(|bucket| bucket.strip_suffix('.'))
                        .is_some_and(is_bucket_labels)
            }
            _ => false,
        }
    }
}

impl fmt::Display for AllowedEndpoint {
    /// The endpoint as a URL (`http://127.0.0.1:9000`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

impl std::str::FromStr for AllowedEndpoint {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self> {
        AllowedEndpoint::parse(url)
    }
}

/// Whether `labels` can be a bucket name in front of an endpoint's host (`my-bucket`,
/// `my.bucket`): dot-separated labels of lower-case letters, digits, `-` and `_`.
fn is_bucket_labels(labels: &str) -> bool {
    labels.split('.').all(is_bucket_label)
}

fn is_bucket_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
}

/// Whether `name` is one of Amazon S3's or STS's own host names, in the shapes this crate
/// builds or a connection may name: `s3.amazonaws.com`, `s3.REGION.amazonaws.com`,
/// `s3.dualstack.REGION.amazonaws.com`, each also as `BUCKET.` + it (virtual-hosted),
/// `sts.amazonaws.com`, `sts.REGION.amazonaws.com`; the same under `amazonaws.com.cn`.
fn is_aws_host(name: &str) -> bool {
    let Some(rest) = name
        .strip_suffix(".amazonaws.com")
        .or_else(|| name.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let is_region = |label: &str| is_region_code(label);
    if let ["sts"] | ["sts", _] = labels.as_slice() {
        return labels.get(1).is_none_or(|region| is_region(region));
    }
    let service_start = match labels.as_slice() {
        [.., "s3", "dualstack", region] if is_region(region) => labels.len() - 3,
        [.., "s3", region] if is_region(region) => labels.len() - 2,
        [.., "s3"] => labels.len() - 1,
        _ => return false,
    };
    labels[..service_start]
        .iter()
        .all(|label| is_bucket_label(label))
}

/// What kind of place an address is, for deciding who may reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressClass {
    /// Reachable on the internet.
    Public,
    /// This host or a private network: loopback, RFC 1918, unique-local (fc00::/7), CGNAT
    /// (100.64/10), unspecified, multicast, reserved.
    Internal,
    /// Link-local (169.254/16, fe80::/10), where cloud metadata services answer, and AWS's
    /// IPv6 metadata address fd00:ec2::254.
    LinkLocal,
}

impl AddressClass {
    fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Internal => "a loopback or private address",
            AddressClass::LinkLocal => "a link-local address, where cloud metadata services answer",
        }
    }
}

/// The class of `ip`, looking through IPv6 forms that carry an IPv4 address (mapped, compatible,
/// NAT64, 6to4): they reach that IPv4 address.
fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    let internal = ip.is_loopback()
        || ip.is_private()
        || a == 0 // "this network", 0.0.0.0 included
        || (a == 100 && (64..128).contains(&b)) // CGNAT (RFC 6598)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 224; // multicast, reserved, broadcast
    if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if internal {
        AddressClass::Internal
    } else {
        AddressClass::Public
    }
}

/// AWS's instance metadata service over IPv6 (Nitro instances).
const AWS_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let segments = ip.segments();
    let embedded_v4 = || {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    };
    let internal = ip.is_unique_local()
        || ip.is_multicast()
        || segments[0] & 0xffc0 == 0xfec0 // site-local (deprecated)
        || segments[..3] == [0x64, 0xff9b, 1]; // local-use NAT64
    if ip == AWS_METADATA_V6 || ip.is_unicast_link_local() {
        AddressClass::LinkLocal
    } else if let Some(v4) = ip.to_ipv4_mapped() {
        classify_v4(v4)
    } else if ip.is_loopback() || ip.is_unspecified() {
        AddressClass::Internal
    } else if segments[..6] == [0; 6] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
        classify_v4(embedded_v4())
    } else if segments[0] == 0x2002 {
        // 6to4: the IPv4 address is in the next 32 bits.
        let [_, _, a, b, c, d, ..] = ip.octets();
        classify_v4(Ipv4Addr::new(a, b, c, d))
    } else if internal {
        AddressClass::Internal
    } else {
        AddressClass::Public
    }
}

impl Restrictions {
    /// Whether a request to `url` may be sent.
    fn check(&self, url: &reqwest::Url) -> Result<(), EgressRefused> {
        self.check_as(url, false)
    }

    /// Checks a connection's own endpoint: an allowed endpoint's host exactly, not a bucket's
    /// name under it.
    fn check_endpoint(&self, url: &reqwest::Url) -> Result<(), EgressRefused> {
        self.check_as(url, true)
    }

    fn check_as(&self, url: &reqwest::Url, exact: bool) -> Result<(), EgressRefused> {
        let origin = url.origin().ascii_serialization();
        let (Some(host), Some(port)) = (Host::of(url), url.port_or_known_default()) else {
            return Err(EgressRefused::not_allowed(&origin));
        };
        let scheme = url.scheme();
        let allowed = self.allowed.iter().any(|endpoint| {
            endpoint.admits(scheme, &host, port) && (!exact || endpoint.host == host)
        }) || matches!(&host, Host::Name(name)
                if scheme == "https" && port == 443 && is_aws_host(name));
        if allowed {
            Ok(())
        } else {
            Err(EgressRefused::not_allowed(&origin))
        }
    }

    /// Of the addresses `name` resolved to, those a request may connect to: any but link-local
    /// ones for a name the operator allowed, only public ones for Amazon's own names; none for
    /// any other name.
    fn reachable(
        &self,
        name: &str,
        found: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, EgressRefused> {
        let name = normalize_name(name);
        let host = Host::Name(name.clone());
        let named_by_operator = self.allowed.iter().any(|endpoint| endpoint.covers(&host));
        if !named_by_operator && !is_aws_host(&name) {
            return Err(EgressRefused::not_allowed(&name));
        }
        let may_reach = |class| match class {
            AddressClass::Public => true,
            AddressClass::Internal => named_by_operator,
            AddressClass::LinkLocal => false,
        };
        let (reachable, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
            .into_iter()
            .partition(|addr| may_reach(classify(addr.ip())));
        match refused.first() {
            Some(first) if reachable.is_empty() => Err(EgressRefused::address(&name, first.ip())),
            _ => Ok(reachable),
        }
    }
}

/// The resolver of a client with a restricted policy: looks names up, then keeps only the
/// addresses the policy lets them reach.
pub(crate) struct CheckedResolver {
    restrictions: Arc<Restrictions>,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let restrictions = self.restrictions.clone();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let found = (restrictions.lookup)(name.clone()).await?;
            let reachable = restrictions.reachable(&name, found)?;
            Ok(Box::new(reachable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A request the policy did not let go: to a place the operator did not allow, or to a name
/// that resolves only to addresses it may not reach.
#[derive(Debug, Clone)]
pub struct EgressRefused {
    message: String,
}

impl EgressRefused {
    fn not_allowed(place: &str) -> Self {
        EgressRefused {
            message: format!(
                "requests to {place} are not allowed here: it is neither Amazon S3 nor STS nor an \
                 endpoint the operator allowed. The operator must allow it (start the service \
                 with --allow-endpoint URL, e.g. --allow-endpoint {place})"
            ),
        }
    }

    fn address(name: &str, ip: IpAddr) -> Self {
        let class = classify(ip);
        let fix = match class {
            AddressClass::LinkLocal => {
                "such an address is reachable only when an allowed endpoint names it exactly \
                 (--allow-endpoint http://ADDRESS)"
            }
            _ => {
                "only an endpoint the operator allowed by name (--allow-endpoint URL) may lead \
                 to a local or private address"
            }
        };
        EgressRefused {
            message: format!(
                "{name} resolves to {ip} ({}), which requests from here may not reach; {fix}",
                class.describe()
            ),
        }
    }

    /// The refusal behind a failed send, if the resolver refused the connection.
    pub(crate) fn in_chain(err: &(dyn std::error::Error + 'static)) -> Option<EgressRefused> {
        let mut cause = Some(err);
        while let Some(err) = cause {
            if let Some(refused) = err.downcast_ref::<EgressRefused>() {
                return Some(refused.clone());
            }
            cause = err.source();
        }
        None
    }
}

impl fmt::Display for EgressRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EgressRefused {}

impl From<EgressRefused> for Error {
    fn from(refused: EgressRefused) -> Self {
        Error::new(ErrorKind::AccessDenied, refused.message)
            .with_field(FIELD)
            .with_retryable(false)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn v4(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_are_classified_through_their_ipv6_forms() {
        for (ip, class) in [
            ("8.8.8.8", AddressClass::Public),
            ("52.216.8.1", AddressClass::Public),
            ("127.0.0.1", AddressClass::Internal),
            ("127.8.9.10", AddressClass::Internal),
            ("10.1.2.3", AddressClass::Internal),
            ("172.16.0.1", AddressClass::Internal),
            ("172.31.255.255", AddressClass::Internal),
            ("172.32.0.1", AddressClass::Public),
            ("192.168.1.1", AddressClass::Internal),
            ("100.64.0.1", AddressClass::Internal),
            ("100.127.255.255", AddressClass::Internal),
            ("100.128.0.1", AddressClass::Public),
            ("0.0.0.0", AddressClass::Internal),
            ("255.255.255.255", AddressClass::Internal),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("169.254.0.1", AddressClass::LinkLocal),
            ("::1", AddressClass::Internal),
            ("::", AddressClass::Internal),
            ("fc00::1", AddressClass::Internal),
            ("fd12:3456::1", AddressClass::Internal),
            ("fe80::1", AddressClass::LinkLocal),
            ("fd00:ec2::254", AddressClass::LinkLocal),
            ("::ffff:127.0.0.1", AddressClass::Internal),
            ("::ffff:10.0.0.1", AddressClass::Internal),
            ("::ffff:169.254.169.254", AddressClass::LinkLocal),
            ("::ffff:8.8.8.8", AddressClass::Public),
            ("::127.0.0.1", AddressClass::Internal),
            ("64:ff9b::169.254.169.254", AddressClass::LinkLocal),
            ("64:ff9b::8.8.8.8", AddressClass::Public),
            ("2002:a9fe:a9fe::1", AddressClass::LinkLocal),
            ("2600:1f18::1", AddressClass::Public),
        ] {
            assert_eq!(classify(v4(ip)), class, "{ip}");
        }
    }

    #[test]
    fn aws_host_names_in_the_shapes_endpoints_are_built() {
        for good in [
            "s3.amazonaws.com",
            "s3.eu-west-1.amazonaws.com",
            "s3.dualstack.eu-west-1.amazonaws.com",
            "my-bucket.s3.eu-west-1.amazonaws.com",
            "my.bucket.s3.eu-west-1.amazonaws.com",
            "my-bucket.s3.dualstack.us-east-1.amazonaws.com",
            "my-bucket.s3.amazonaws.com",
            "s3.cn-north-1.amazonaws.com.cn",
            "b.s3.cn-north-1.amazonaws.com.cn",
            "sts.amazonaws.com",
            "sts.eu-west-1.amazonaws.com",
            "sts.cn-north-1.amazonaws.com.cn",
        ] {
            assert!(is_aws_host(good), "{good}");
        }
        for bad in [
            "amazonaws.com",
            "evil.com",
            "s3.amazonaws.com.evil.com",
            "s3.eu-west-1.amazonaws.com.evil.com",
            "ec2-1-2-3-4.compute-1.amazonaws.com",
            "ec2.eu-west-1.amazonaws.com",
            "bucket.sts.eu-west-1.amazonaws.com",
            "x.s3.eu-west-1.evil.amazonaws.com.example",
            ".s3.eu-west-1.amazonaws.com",
            "a..b.s3.eu-west-1.amazonaws.com",
            "s3amazonaws.com",
            "evils3.amazonaws.com",
        ] {
            assert!(!is_aws_host(bad), "{bad}");
        }
        // Every URL the crate builds for Amazon S3 and STS is allowed by AWS's rules alone.
        let policy = EgressPolicy::aws_only();
        for region in ["us-east-1", "eu-west-1", "cn-north-1"] {
            let endpoint = Endpoint::aws(region);
            for target in [
                Target::Service,
                Target::Sts,
                Target::bucket("my-bucket"),
                Target::bucket("my.bucket"),
                Target::object("my-bucket", "a/b c.txt"),
                Target::Path("/x".into()),
            ] {
                let url = endpoint.url(&target, &[]).unwrap();
                policy.check_url(url.as_str()).unwrap();
            }
        }
    }

    #[test]
    fn aws_names_need_https_on_443() {
        let policy = EgressPolicy::aws_only();
        for bad in [
            "http://s3.eu-west-1.amazonaws.com/",
            "https://s3.eu-west-1.amazonaws.com:8443/",
            "http://sts.amazonaws.com/",
        ] {
            let err = policy.check_url(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AccessDenied, "{bad}");
            assert_eq!(err.field(), Some(FIELD));
            assert!(
                err.message().contains("--allow-endpoint"),
                "{}",
                err.message()
            );
        }
        policy
            .check_url("https://s3.eu-west-1.amazonaws.com:443/b")
            .unwrap();
    }

    #[test]
    fn allowed_endpoints_match_scheme_host_and_port() {
        let policy = EgressPolicy::allowing([
            "http://127.0.0.1:9000",
            "https://minio.example.com",
            "http://[::1]:9001/",
            "http://Store.Example.Com.:8080",
        ])
        .unwrap();
        for good in [
            "http://127.0.0.1:9000/b/k",
            "https://minio.example.com/b",
            "https://minio.example.com:443/b",
            "https://my-bucket.minio.example.com/k",
            "https://my.bucket.minio.example.com/k",
            "http://[::1]:9001/",
            "http://store.example.com:8080/",
            "http://b.store.example.com.:8080/",
        ] {
            policy
                .check_url(good)
                .unwrap_or_else(|err| panic!("{good}: {err}"));
        }
        for bad in [
            "http://127.0.0.1:9001/",
            "https://127.0.0.1:9000/",
            "http://localhost:9000/",
            "http://[::ffff:127.0.0.1]:9000/",
            "http://127.0.0.2:9000/",
            "http://minio.example.com/",
            "https://minio.example.com:8443/",
            "https://evilminio.example.com/",
            "https://minio.example.com.evil.com/",
            "http://[::1]:9000/",
            "http://169.254.169.254/latest/api/token",
            "http://[fd00:ec2::254]/",
        ] {
            let err = policy.check_url(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AccessDenied, "{bad}");
        }
        // An unrestricted policy allows everything, and allowing more does not restrict it.
        let anywhere = EgressPolicy::unrestricted()
            .allow_url("http://127.0.0.1:1")
            .unwrap();
        assert!(!anywhere.is_restricted());
        anywhere.check_url("http://169.254.169.254/").unwrap();
    }

    #[test]
    fn allowed_endpoints_are_only_scheme_host_and_port() {
        let endpoint = AllowedEndpoint::parse("https://minio.example.com").unwrap();
        assert_eq!(endpoint.to_string(), "https://minio.example.com:443");
        let endpoint: AllowedEndpoint = "http://[::1]:9000".parse().unwrap();
        assert_eq!(endpoint.to_string(), "http://[::1]:9000");
        for bad in [
            "",
            "127.0.0.1:9000",
            "ftp://x",
            "http://h/path",
            "http://h/?q",
            "http://u:p@h",
            "file:///etc/passwd",
        ] {
            let err = AllowedEndpoint::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(err.field(), Some("allow_endpoint"), "{bad}");
        }
    }

    #[test]
    fn an_endpoint_is_an_allowed_one_named_exactly() {
        let policy = EgressPolicy::allowing(["https://example.com"]).unwrap();
        let exact = Endpoint::parse_custom("https://example.com").unwrap();
        policy.check_endpoint(&exact).unwrap();
        policy.check_endpoint(&Endpoint::aws("eu-west-1")).unwrap();
        let under = Endpoint::parse_custom("https://intranet.example.com").unwrap();
        let err = policy.check_endpoint(&under).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        assert_eq!(err.field(), Some(FIELD));
        // A bucket's virtual-hosted name under the allowed host is still that endpoint.
        policy
            .check_url("https://my-bucket.example.com/key")
            .unwrap();
        EgressPolicy::unrestricted().check_endpoint(&under).unwrap();
    }

    fn at(ip: &str) -> SocketAddr {
        SocketAddr::new(v4(ip), 0)
    }

    #[test]
    fn names_reach_only_the_addresses_they_may() {
        let policy = EgressPolicy::allowing(["http://store.internal:9000"]).unwrap();
        let restrictions = policy.restrictions.as_deref().unwrap();
        // An Amazon name that resolves to this host (DNS rebinding, a poisoned hosts file) is
        // refused; its public addresses are kept.
        let err = restrictions
            .reachable("s3.us-east-1.amazonaws.com", vec![at("127.0.0.1")])
            .unwrap_err();
        let err = Error::from(err);
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        assert_eq!(err.field(), Some(FIELD));
        assert!(err.message().contains("127.0.0.1"), "{}", err.message());
        assert!(
            restrictions
                .reachable(
                    "my-bucket.s3.us-east-1.amazonaws.com",
                    vec![at("::ffff:10.0.0.5"), at("100.64.1.1"), at("fd00::1")]
                )
                .is_err()
        );
        assert_eq!(
            restrictions
                .reachable(
                    "s3.us-east-1.amazonaws.com",
                    vec![at("127.0.0.1"), at("52.216.8.1")]
                )
                .unwrap(),
            vec![at("52.216.8.1")]
        );
        // The name the operator allowed may lead to a private address, never to a link-local one.
        assert_eq!(
            restrictions
                .reachable(
                    "store.internal",
                    vec![at("10.0.0.5"), at("169.254.169.254")]
                )
                .unwrap(),
            vec![at("10.0.0.5")]
        );
        assert!(
            restrictions
                .reachable("b.store.internal", vec![at("::1")])
                .is_ok()
        );
        for metadata in ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254"] {
            let err = restrictions
                .reachable("store.internal", vec![at(metadata)])
                .unwrap_err();
            assert!(err.message.contains("link-local"), "{}", err.message);
        }
        // A name that is neither is not looked up for a connection at all.
        assert!(
            restrictions
                .reachable("evil.com", vec![at("8.8.8.8")])
                .is_err()
        );
    }

    /// A loopback listener that counts the connections made to it.
    pub(crate) async fn counting_listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = count.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(socket);
            }
        });
        (port, count)
    }
}
