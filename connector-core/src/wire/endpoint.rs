//! Where a request goes: the endpoint of a region or of an S3-compatible store, and the URL of
//! a bucket or an object on it in virtual-hosted or path style.

use crate::error::{Error, Result};
use crate::wire::encode::{encode_path, query_string};
use reqwest::Url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

/// What a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The service itself (ListBuckets).
    Service,
    /// A bucket.
    Bucket(String),
    /// An object in a bucket.
    Object {
        /// The bucket.
        bucket: String,
        /// The key, not encoded.
        key: String,
    },
    /// A raw path on the service endpoint, not encoded (Make an API Call).
    Path(String),
    /// The Security Token Service (AssumeRole), signed for `sts`.
    Sts,
}

impl Target {
    /// The bucket this target is in, if any.
    pub fn bucket_name(&self) -> Option<&str> {
        match self {
            Target::Bucket(bucket) | Target::Object { bucket, .. } => Some(bucket),
            _ => None,
        }
    }

    /// A bucket target.
    pub fn bucket(bucket: impl Into<String>) -> Self {
        Target::Bucket(bucket.into())
    }

    /// An object target.
    pub fn object(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Target::Object {
            bucket: bucket.into(),
            key: key.into(),
        }
    }
}

/// The scheme and host requests go to, and how buckets appear in their URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: &'static str,
    /// Host, with `:port` when not the scheme's default.
    authority: String,
    /// The URL of an S3-compatible store's endpoint, as it was given (`None` on Amazon S3).
    custom_url: Option<String>,
    style: AddressingStyle,
}

impl Endpoint {
    /// The same endpoint with buckets addressed in `style`. Virtual-hosted addressing needs a
    /// host name: with an IP address it is refused (`invalid_input`, field
    /// `connection.addressing_style`).
    pub fn with_addressing_style(mut self, style: AddressingStyle) -> Result<Self> {
        self.style = style;
        if style == AddressingStyle::Virtual && self.host_is_ip_address() {
            return Err(Error::invalid_input(
                "connection.addressing_style",
                "virtual-hosted addressing puts the bucket in the host name, which an IP address \
                 cannot have: use \"path\" (or \"auto\") with this endpoint URL",
            ));
        }
        Ok(self)
    }

    /// Whether the endpoint's host is an IP address rather than a name.
    fn host_is_ip_address(&self) -> bool {
        let host = match self.authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => &self.authority,
        };
        host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok()
    }

    /// Amazon S3's regional endpoint (`s3.REGION.amazonaws.com`, `.com.cn` in China).
    pub fn aws(region: &str) -> Self {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Endpoint {
            scheme: "https",
            authority: format!("s3.{region}.{suffix}"),
            custom_url: None,
            style: AddressingStyle::Auto,
        }
    }

    /// Cloudflare R2's endpoint for the account `account_id`
    /// (`https://ACCOUNT_ID.r2.cloudflarestorage.com`). An account ID that cannot be part of a
    /// host name is refused (`invalid_input`, field `connection.account_id`).
    pub fn r2(account_id: &str) -> Result<Self> {
        if account_id.is_empty()
            || account_id.len() > 63
            || !account_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(Error::invalid_input(
                "connection.account_id",
                "a Cloudflare account ID is the 32 letters and digits shown in the R2 dashboard \
                 (Account details); copy it from there",
            ));
        }
        let account_id = account_id.to_ascii_lowercase();
        Self::preset(format!("https://{account_id}.r2.cloudflarestorage.com"))
    }

    /// Backblaze B2's S3 endpoint in `region` (`https://s3.REGION.backblazeb2.com`, the region
    /// like `us-west-004`, shown with the bucket in the B2 web app). A region that is not a
    /// region code is refused (`invalid_input`, field `connection.region`).
    pub fn b2(region: &str) -> Result<Self> {
        Self::preset(format!(
            "https://s3.{}.backblazeb2.com",
            host_region(region)?
        ))
    }

    /// Wasabi's endpoint in `region` (`https://s3.REGION.wasabisys.com`; `us-east-1` is
    /// `https://s3.wasabisys.com`). A region that is not a region code is refused
    /// (`invalid_input`, field `connection.region`).
    pub fn wasabi(region: &str) -> Result<Self> {
        match host_region(region)? {
            "us-east-1" => Self::preset("https://s3.wasabisys.com".to_owned()),
            region => Self::preset(format!("https://s3.{region}.wasabisys.com")),
        }
    }

    /// The endpoint of a provider's URL template once filled in (an S3-compatible store: its
    /// URL is kept as [`custom_url`](Self::custom_url)).
    fn preset(url: String) -> Result<Self> {
        Self::parse_custom(&url)
    }

    /// Parses the endpoint URL of an S3-compatible store (`http(s)://host[:port]`); an error
    /// names the field `connection.endpoint_url`.
    pub fn parse_custom(url: &str) -> Result<Self> {
        let (scheme, parsed) = parse_base_url(url, "connection.endpoint_url")?;
        let host = parsed.host_str().unwrap_or_default();
        let authority = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Endpoint {
            scheme,
            authority,
            custom_url: Some(url.to_owned()),
            style: AddressingStyle::Auto,
        })
    }

    /// The same endpoint for another region: on Amazon S3 that region's endpoint; a custom
    /// endpoint stays as it is.
    pub fn in_region(&self, region: &str) -> Self {
        if self.is_custom() {
            return self.clone();
        }
        Endpoint {
            style: self.style,
            ..Self::aws(region)
        }
    }

    /// Whether requests go over HTTPS (TLS protects their bytes on the way).
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// Whether this is a custom (non-AWS) endpoint.
    fn is_custom(&self) -> bool {
        self.custom_url.is_some()
    }

    /// The endpoint URL of an S3-compatible store, exactly as it was given to
    /// [`parse_custom`](Self::parse_custom); `None` on Amazon S3.
    pub fn custom_url(&self) -> Option<&str> {
        self.custom_url.as_deref()
    }

    /// Whether a request for `bucket` puts the bucket in the host name.
    fn virtual_hosted(&self, bucket: &str) -> bool {
        match self.style {
            AddressingStyle::Path => false,
            AddressingStyle::Virtual => true,
            AddressingStyle::Auto => !self.is_custom() && dns_compatible_without_dots(bucket),
        }
    }

    /// The URL of a target with `query` (name/value pairs, not encoded; an empty value is sent
    /// as the bare name, `?cors`). Built once, with the `url` crate; the path and query are
    /// percent-encoded exactly once, by us ([`encode`](crate::wire::encode)).
    ///
    /// A path with a `.` or `..` segment is refused (`invalid_input`): URLs drop such segments,
    /// so the request would address another object. A bucket that cannot be a host name is
    /// refused with virtual-hosted addressing.
    pub fn url(&self, target: &Target, query: &[(String, String)]) -> Result<Url> {
        let mut url = Url::parse(&format!("{}://{}/", self.scheme, self.authority))
            .map_err(|err| Error::invalid_input("url", format!("cannot build the URL: {err}")))?;
        let (field, path) = match target {
            Target::Service => ("url", String::new()),
            // A custom endpoint serves STS itself (MinIO, moto); on AWS it has its own host.
            Target::Sts if self.is_custom() => ("url", String::new()),
            Target::Sts => {
                let region = self
                    .authority
                    .strip_prefix("s3.")
                    .unwrap_or(&self.authority);
                set_host(&mut url, &format!("sts.{region}"), "url")?;
                ("url", String::new())
            }
            Target::Path(path) => ("url", encode_path(path.strip_prefix('/').unwrap_or(path))),
            Target::Bucket(bucket) if self.virtual_hosted(bucket) => {
                self.set_bucket_host(&mut url, bucket)?;
                ("bucket", String::new())
            }
            Target::Bucket(bucket) => ("bucket", encode_path(bucket)),
            Target::Object { bucket, key } if self.virtual_hosted(bucket) => {
                self.set_bucket_host(&mut url, bucket)?;
                ("key", encode_path(key))
            }
            Target::Object { bucket, key } => (
                "key",
                format!("{}/{}", encode_path(bucket), encode_path(key)),
            ),
        };
        let path = format!("/{path}");
        url.set_path(&path);
        if url.path() != path {
            return Err(Error::invalid_input(
                field,
                "the path has a '.' or '..' segment between slashes, which URLs drop, so the \
                 request would address another object; rename it",
            ));
        }
        if !query.is_empty() {
            let query = query_string(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            url.set_query(Some(&query));
        }
        Ok(url)
    }

    /// Puts `bucket` in front of the endpoint's host (virtual-hosted addressing).
    fn set_bucket_host(&self, url: &mut Url, bucket: &str) -> Result<()> {
        let host = format!("{bucket}.{}", url.host_str().unwrap_or_default());
        set_host(url, &host, "bucket")
    }
}

/// Sets the host of `url`; a name a URL cannot hold is an `invalid_input` of `field`.
fn set_host(url: &mut Url, host: &str, field: &str) -> Result<()> {
    url.set_host(Some(host)).map_err(|err| {
        Error::invalid_input(field, format!("{host:?} cannot be a host name ({err})"))
    })
}

/// Parses the URL of an endpoint, given in `field`: `http` or `https`, a host, a port, and
/// nothing else (no path, query, fragment, user or password). Errors never repeat a user name
/// or password.
pub(crate) fn parse_base_url(url: &str, field: &str) -> Result<(&'static str, reqwest::Url)> {
    let shown = without_userinfo(url);
    let example = "write it like http://127.0.0.1:9000 or https://minio.example.com";
    let parsed = reqwest::Url::parse(url.trim()).map_err(|err| {
        Error::invalid_input(field, format!("{shown:?} is not a URL ({err}); {example}"))
    })?;
    let scheme = match parsed.scheme() {
        "http" => "http",
        "https" => "https",
        other => {
            return Err(Error::invalid_input(
                field,
                format!("the endpoint URL must start with http:// or https://, not {other}://"),
            ));
        }
    };
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_input(
            field,
            format!("{shown:?} has no host; {example}"),
        ));
    }
    if parsed.path() != "/"
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Error::invalid_input(
            field,
            format!(
                "the endpoint URL must be only scheme, host and port (no path, query or user); \
                 {example}"
            ),
        ));
    }
    Ok((scheme, parsed))
}

/// `url` as an error may show it: everything between the scheme and the last `@` (a user
/// name and password, even one holding `/` or `@`) replaced by `***`. Works on text that is
/// not a valid URL too.
pub(crate) fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}***@{host}"),
        None => url.to_owned(),
    }
}

/// `region` to put in a host name: a region code, else `invalid_input` of `connection.region`.
fn host_region(region: &str) -> Result<&str> {
    if !is_region_code(region) {
        return Err(Error::invalid_input(
            "connection.region",
            format!("{region:?} is not a region code; write it like us-west-004 or eu-central-1"),
        ));
    }
    Ok(region)
}

/// Whether `region` can be an AWS region code such as `eu-west-1` (it goes into host names):
/// 1 to 32 lower-case letters, digits and hyphens, not starting or ending with a hyphen.
pub fn is_region_code(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// A bucket name that can be a DNS label under a TLS wildcard certificate.
fn dns_compatible_without_dots(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(endpoint: &Endpoint, target: &Target) -> String {
        endpoint.url(target, &[]).unwrap().into()
    }

    #[test]
    fn queries_are_encoded_once_and_dot_segments_refused() {
        let ep = Endpoint::aws("us-east-1");
        let query = [
            ("list-type".to_owned(), "2".to_owned()),
            ("prefix".to_owned(), "a b+c/é".to_owned()),
            ("cors".to_owned(), String::new()),
        ];
        assert_eq!(
            ep.url(&Target::bucket("my-bucket"), &query)
                .unwrap()
                .as_str(),
            "https://my-bucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=a%20b%2Bc%2F%C3%A9&cors"
        );
        assert_eq!(
            url(&ep, &Target::object("b.x", "100%/a?b#c")),
            "https://s3.us-east-1.amazonaws.com/b.x/100%25/a%3Fb%23c"
        );
        for (target, field) in [
            (Target::object("my-bucket", "a/../b"), "key"),
            (Target::object("my.bucket", "a/./b"), "key"),
            (Target::object("my-bucket", ".."), "key"),
            (Target::Path("/b/./x".into()), "url"),
        ] {
            let err = ep.url(&target, &[]).unwrap_err();
            assert_eq!(err.field(), Some(field), "{target:?}");
        }
        let virtual_only = Endpoint::parse_custom("https://minio.example.com")
            .unwrap()
            .with_addressing_style(AddressingStyle::Virtual)
            .unwrap();
        let err = virtual_only.url(&Target::bucket("a b"), &[]).unwrap_err();
        assert_eq!(err.field(), Some("bucket"));
    }

    #[test]
    fn aws_is_virtual_hosted_unless_the_name_forbids_it() {
        let ep = Endpoint::aws("eu-west-1");
        assert_eq!(
            url(&ep, &Target::object("my-bucket", "photos/a b.jpg")),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/photos/a%20b.jpg"
        );
        assert_eq!(
            url(&ep, &Target::object("my.bucket", "/lead")),
            "https://s3.eu-west-1.amazonaws.com/my.bucket//lead"
        );
        assert_eq!(
            url(&ep, &Target::bucket("Legacy_Bucket")),
            "https://s3.eu-west-1.amazonaws.com/Legacy_Bucket"
        );
        assert_eq!(
            url(&ep, &Target::Service),
            "https://s3.eu-west-1.amazonaws.com/"
        );
        let cn = Endpoint::aws("cn-north-1");
        assert_eq!(
            url(&cn, &Target::Service),
            "https://s3.cn-north-1.amazonaws.com.cn/"
        );
    }

    #[test]
    fn custom_endpoints_are_path_style_by_default() {
        let ep = Endpoint::parse_custom("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            url(&ep, &Target::object("b", "x/y")),
            "http://127.0.0.1:9000/b/x/y"
        );
        assert_eq!(url(&ep, &Target::Sts), "http://127.0.0.1:9000/");
        assert_eq!(ep.custom_url(), Some("http://127.0.0.1:9000"));
        let ep = Endpoint::parse_custom("https://minio.example.com")
            .unwrap()
            .with_addressing_style(AddressingStyle::Virtual)
            .unwrap();
        assert_eq!(
            url(&ep, &Target::bucket("b")),
            "https://b.minio.example.com/"
        );
    }

    #[test]
    fn provider_templates_fill_in_the_account_or_region() {
        let r2 = Endpoint::r2("0123456789ABCDEF0123456789abcdef").unwrap();
        assert_eq!(
            url(&r2, &Target::object("b", "k")),
            "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/b/k"
        );
        assert_eq!(
            r2.custom_url(),
            Some("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com")
        );
        assert!(r2.is_https());
        for bad in ["", "acc.evil.com", "a/b", "a b", &"a".repeat(64)] {
            let err = Endpoint::r2(bad).unwrap_err();
            assert_eq!(err.field(), Some("connection.account_id"), "{bad:?}");
        }
        assert_eq!(
            url(&Endpoint::b2("us-west-004").unwrap(), &Target::Service),
            "https://s3.us-west-004.backblazeb2.com/"
        );
        assert_eq!(
            url(&Endpoint::wasabi("eu-central-2").unwrap(), &Target::Service),
            "https://s3.eu-central-2.wasabisys.com/"
        );
        assert_eq!(
            url(&Endpoint::wasabi("us-east-1").unwrap(), &Target::Service),
            "https://s3.wasabisys.com/"
        );
        for bad in ["", "x.evil.com", "US-WEST"] {
            assert_eq!(
                Endpoint::b2(bad).unwrap_err().field(),
                Some("connection.region")
            );
            assert_eq!(
                Endpoint::wasabi(bad).unwrap_err().field(),
                Some("connection.region")
            );
        }
    }

    #[test]
    fn raw_paths_are_encoded_once() {
        let ep = Endpoint::aws("us-east-1");
        assert_eq!(
            url(&ep, &Target::Path("/my-bucket/a b.txt".into())),
            "https://s3.us-east-1.amazonaws.com/my-bucket/a%20b.txt"
        );
        assert_eq!(
            url(&ep, &Target::Path("my-bucket".into())),
            "https://s3.us-east-1.amazonaws.com/my-bucket"
        );
    }

    #[test]
    fn virtual_hosting_needs_a_host_name() {
        for url in [
            "http://127.0.0.1:9000",
            "http://[::1]:9000",
            "http://10.0.0.7",
        ] {
            let err = Endpoint::parse_custom(url)
                .unwrap()
                .with_addressing_style(AddressingStyle::Virtual)
                .unwrap_err();
            assert_eq!(err.field(), Some("connection.addressing_style"), "{url}");
        }
        Endpoint::parse_custom("http://localhost:9000")
            .unwrap()
            .with_addressing_style(AddressingStyle::Virtual)
            .unwrap();
    }

    #[test]
    fn region_codes() {
        for good in ["us-east-1", "eu-central-1", "cn-north-1", "a"] {
            assert!(is_region_code(good), "{good}");
        }
        for bad in ["", "-us", "us-", "US-EAST-1", "us_east", &"a".repeat(33)] {
            assert!(!is_region_code(bad), "{bad}");
        }
    }

    #[test]
    fn bad_endpoints_are_refused() {
        for bad in [
            "not a url",
            "ftp://x",
            "http://h/path",
            "http://u:p@h",
            "http://:pw@h",
        ] {
            let err = Endpoint::parse_custom(bad).unwrap_err();
            assert_eq!(err.field(), Some("connection.endpoint_url"), "{bad}");
        }
    }

    #[test]
    fn errors_never_repeat_a_password() {
        for bad in [
            "http://user:secret@host name",
            "http://user:secret@[::1",
            "user:secret@host:9000",
            "http://user:secret@host:99999",
            "http://a@b:secret@host:99999/x",
            "http://user:se/cret@host name",
        ] {
            let err = Endpoint::parse_custom(bad).unwrap_err();
            assert!(!format!("{err:?}").contains("secret"), "{bad}: {err:?}");
        }
        let err = Endpoint::parse_custom("http://user:secret@host name").unwrap_err();
        assert!(
            err.message()
                .contains("\"http://***@host name\" is not a URL"),
            "{}",
            err.message()
        );
        assert_eq!(without_userinfo("http://u:p@h x/"), "http://***@h x/");
        assert_eq!(without_userinfo("not a url"), "not a url");
    }
}
