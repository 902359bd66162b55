//! Make an API Call: any S3 REST request, signed like every other, to the connection's endpoint.

use base64::Engine as _;
use connector_core::Effects;
use connector_core::framework::types::{Base64Bytes, RequestHeaders};
use connector_core::framework::validate;
use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::wire::encode;
use connector_core::wire::request::PayloadChecksum;
use connector_core::{
    Body, Context, Error, Method, Module, ModuleKind, Request, Result, Target, async_trait,
    register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest response body returned (16 MiB); use Get File with `save_to` for larger files.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The HTTP method.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// Read (GetObject, ListObjectsV2, GetBucketCors, …).
    Get,
    /// Read headers only (HeadObject, HeadBucket).
    Head,
    /// Create or replace (PutObject, PutBucketCors, CreateBucket, …).
    Put,
    /// Post (DeleteObjects, multipart uploads, …).
    Post,
    /// Delete (DeleteObject, DeleteBucket, …).
    Delete,
}

impl HttpMethod {
    fn method(self) -> Method {
        match self {
            HttpMethod::Get => Method::GET,
            HttpMethod::Head => Method::HEAD,
            HttpMethod::Put => Method::PUT,
            HttpMethod::Post => Method::POST,
            HttpMethod::Delete => Method::DELETE,
        }
    }
}

/// The request to make.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_body)]
pub struct MakeApiCallInput {
    /// The HTTP method.
    #[schemars(title = "Method")]
    pub method: HttpMethod,

    /// The path, relative to the region's endpoint (`https://s3.REGION.amazonaws.com/`), with
    /// an optional query: e.g. `/my-bucket?cors` or `my-bucket/photos/a.jpg`. Write the path as
    /// plain text (it is percent-encoded for you); a host or absolute URL is not allowed.
    #[schemars(title = "URL", length(min = 1), transform = url_schema)]
    pub url: String,

    /// Request headers, e.g. `Content-Type`. The authorization headers (`Authorization`,
    /// `X-Amz-Date`, `X-Amz-Security-Token`) are added for you, and `X-Amz-Content-Sha256` (the
    /// body's SHA-256) unless you give one of the streaming values, which send the body
    /// aws-chunked: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (every frame signed, no checksum),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (every frame signed, the checksum in a
    /// signed trailer) or `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (plain frames, the checksum in a
    /// trailer). `UNSIGNED-PAYLOAD` is not supported. With a trailer, the checksum's algorithm is
    /// `checksum_algorithm` or `X-Amz-Sdk-Checksum-Algorithm` (CRC32C when neither is given). A
    /// `Content-MD5` is computed when there is a body, no checksum is asked for and none is
    /// given.
    #[serde(default)]
    #[schemars(title = "Headers", transform = validate::schema::request_headers)]
    pub headers: RequestHeaders,

    /// Query string parameters (plain text; encoded for you), e.g. `list-type` = `2`.
    #[serde(default)]
    #[schemars(title = "Query string", transform = query_schema)]
    pub query: BTreeMap<String, String>,

    /// The request body as text (e.g. an XML document).
    #[serde(default)]
    #[schemars(title = "Body")]
    pub body: Option<String>,

    /// The request body as base64, for binary content (instead of `body`).
    #[serde(default)]
    #[schemars(title = "Body (base64)")]
    pub body_base64: Option<Base64Bytes>,

    /// A checksum computed over the body and sent with it, for S3 to check: in the trailer of
    /// a streamed body (`X-Amz-Content-Sha256: STREAMING-…-TRAILER`), else in the
    /// `x-amz-checksum-<algorithm>` header, computed before sending. PUT and POST only (the
    /// methods with a body).
    #[serde(default)]
    #[schemars(title = "Checksum algorithm")]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,

    /// Return error answers (4xx, 5xx) as output instead of failing.
    #[serde(default)]
    #[schemars(title = "Return error responses")]
    pub allow_error_status: bool,
}

/// The header that names the payload hash the request is signed with.
const CONTENT_SHA256: &str = "x-amz-content-sha256";
/// The header naming a checksum's algorithm, as the AWS SDKs send it.
const SDK_CHECKSUM_ALGORITHM: &str = "x-amz-sdk-checksum-algorithm";
/// Headers written for a streamed body.
const STREAMING_HEADERS: [&str; 2] = ["x-amz-trailer", "x-amz-decoded-content-length"];

/// A path relative to the endpoint, as [`split_url`] reads it: no scheme or host, no
/// fragment, no `.` or `..` segment in the path.
fn url_schema(schema: &mut schemars::Schema) {
    let ws = validate::schema::WHITE_SPACE;
    validate::schema::add(
        schema,
        serde_json::json!({"not": {"type": "string", "anyOf": [
            {"pattern": "://"},
            {"pattern": format!("^[{ws}]*//")},
            {"pattern": "#"},
            {"pattern": format!("^[{ws}]*(/?|[^?]*/)\\.\\.?(/|\\?|[{ws}]*$)")},
        ]}}),
    );
}

/// Query parameter names: not empty, not `X-Amz-*`.
fn query_schema(schema: &mut schemars::Schema) {
    let x_amz = validate::schema::any_case("x-amz-");
    validate::schema::add(
        schema,
        serde_json::json!({"propertyNames": {"minLength": 1, "not": {"pattern": format!("^{x_amz}")}}}),
    );
}

/// The body as text or as base64, not both; a checksum only with a body (PUT, POST).
fn one_body(schema: &mut schemars::Schema) {
    let sends_body = serde_json::json!({"properties": {"method": {"enum": ["PUT", "POST"]}}});
    validate::schema::add(
        schema,
        serde_json::json!({"allOf": [
            validate::schema::not_with("body", "body_base64"),
            // A checksum goes with a body (PUT, POST), as `payload_checksum` says.
            {"if": {"not": sends_body}, "then": {"properties": {"checksum_algorithm": {"type": "null"}}}},
        ]}),
    );
}

/// S3's answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MakeApiCallOutput {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers (lower-case names; repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// The body, when it is text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, when it is not text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// An XML body converted to JSON (`{"ListBucketResult": {...}}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<serde_json::Value>,
    /// The checksum the body was sent with (when `checksum_algorithm` or a streaming value with
    /// a trailer asked for one), to compare with the `x-amz-checksum-*` header S3 answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<SentChecksum>,
}

/// A checksum sent with the request's body.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SentChecksum {
    /// The algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// The value, base64 as in `x-amz-checksum-*` headers.
    pub value: String,
    /// Where it was sent.
    pub sent_in: ChecksumPlace,
}

/// Where a checksum was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumPlace {
    /// In the `x-amz-checksum-<algorithm>` header, computed before the body was sent.
    Header,
    /// In the trailer of the aws-chunked body, computed while it was sent.
    Trailer,
}

impl ChecksumPlace {
    /// Where `checksum` sends its value, if it does (signed frames without a trailer do not).
    fn of(checksum: PayloadChecksum) -> Option<Self> {
        match checksum {
            PayloadChecksum::Header(_) => Some(ChecksumPlace::Header),
            PayloadChecksum::Chunked { mode, .. } => {
                mode.has_trailer().then_some(ChecksumPlace::Trailer)
            }
        }
    }
}

/// Makes a raw, signed S3 API call.
pub struct MakeApiCall;

/// The path and query pairs of a relative URL.
fn split_url(url: &str) -> Result<(String, Vec<(String, String)>)> {
    let url = url.trim();
    if url.contains("://") || url.starts_with("//") {
        return Err(Error::invalid_input(
            "url",
            "give a path relative to the connection's endpoint (e.g. /my-bucket?cors), not a \
             full URL: requests always go to the connection's endpoint",
        ));
    }
    if url.contains('#') {
        return Err(Error::invalid_input(
            "url",
            "a URL fragment (#…) is never sent; remove it, or write # as %23 in the query",
        ));
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.strip_prefix('/').unwrap_or(path);
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(Error::invalid_input(
            "url",
            "the path has a '.' or '..' segment, which HTTP clients rewrite before sending",
        ));
    }
    Ok((path.to_owned(), encode::query_pairs(query)))
}

/// How the body carries a flexible checksum: streamed aws-chunked when `X-Amz-Content-Sha256`
/// has a streaming value (the algorithm from `X-Amz-Sdk-Checksum-Algorithm` or
/// `checksum_algorithm`, CRC32C by default), else in a header when `checksum_algorithm` is
/// given, else none (the body's SHA-256 signed, as always).
fn payload_checksum(input: &MakeApiCallInput) -> Result<Option<PayloadChecksum>> {
    let headers = input.headers.as_map();
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    let Some(streaming) = text(CONTENT_SHA256) else {
        let Some(algorithm) = input.checksum_algorithm else {
            return Ok(None);
        };
        if !input.sends_body() {
            return Err(Error::invalid_input(
                "checksum_algorithm",
                "a checksum goes with a request body: use PUT or POST, or remove checksum_algorithm",
            ));
        }
        refuse_checksum_headers(input)?;
        return Ok(Some(PayloadChecksum::Header(algorithm)));
    };
    let content_sha256_field = format!("headers.{CONTENT_SHA256}");
    let mode = validate::streaming_content_sha256(&content_sha256_field, streaming)?;
    if !input.sends_body() {
        return Err(Error::invalid_input(
            content_sha256_field,
            format!("{streaming} streams a request body: use PUT or POST, or remove the header"),
        ));
    }
    for name in STREAMING_HEADERS {
        if headers.contains_key(name) {
            return Err(Error::invalid_input(
                format!("headers.{name}"),
                format!("remove {name}: it is written for you when the body is streamed"),
            ));
        }
    }
    let sdk_field = format!("headers.{SDK_CHECKSUM_ALGORITHM}");
    let from_header = match text(SDK_CHECKSUM_ALGORITHM) {
        Some(name) => Some(ChecksumAlgorithm::from_name(name).ok_or_else(|| {
            Error::invalid_input(
                &sdk_field,
                format!(
                    "{name:?} is not an algorithm the connector computes: use one of {}",
                    algorithm_names()
                ),
            )
        })?),
        None => None,
    };
    let algorithm = match (from_header, input.checksum_algorithm) {
        (Some(header), Some(asked)) if header != asked => {
            return Err(Error::invalid_input(
                "checksum_algorithm",
                format!(
                    "{SDK_CHECKSUM_ALGORITHM} says {} and checksum_algorithm says {}: give one",
                    header.as_str(),
                    asked.as_str()
                ),
            ));
        }
        (header, asked) => header.or(asked),
    };
    if !mode.has_trailer() {
        if algorithm.is_some() {
            let field = if from_header.is_some() {
                sdk_field.as_str()
            } else {
                "checksum_algorithm"
            };
            return Err(Error::invalid_input(
                field,
                format!(
                    "{streaming} sends no checksum (its frames are signed instead): give                      STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or STREAMING-UNSIGNED-PAYLOAD-TRAILER                      to send one in a trailer, or remove {field}"
                ),
            ));
        }
    } else {
        refuse_checksum_headers(input)?;
    }
    let algorithm = algorithm.unwrap_or(ChecksumAlgorithm::Crc32c);
    Ok(Some(PayloadChecksum::chunked(algorithm, mode)))
}

/// Refuses an `x-amz-checksum-<algorithm>` header given with a checksum the connector computes.
fn refuse_checksum_headers(input: &MakeApiCallInput) -> Result<()> {
    let given = input
        .headers
        .as_map()
        .keys()
        .find(|name| ChecksumAlgorithm::from_header_name(name.as_str()).is_some());
    match given {
        Some(name) => Err(Error::invalid_input(
            format!("headers.{name}"),
            format!(
                "remove {name}: the checksum is computed for you while the body is sent                  (choose its algorithm with checksum_algorithm)"
            ),
        )),
        None => Ok(()),
    }
}

/// The algorithms' names, for messages.
fn algorithm_names() -> String {
    ChecksumAlgorithm::ALL
        .map(ChecksumAlgorithm::as_str)
        .join(", ")
}

/// The request `input` stands for: its path and query (encoded once, when the URL is built),
/// its headers, its body (moved, not copied) and how the body carries a checksum
/// ([`payload_checksum`]), with a `Content-MD5` when it carries none and none is given.
fn build_request(mut input: MakeApiCallInput) -> Result<Request> {
    let (path, url_query) = split_url(&input.url)?;
    let checksum = payload_checksum(&input)?;
    let mut request = Request::new(input.method.method(), Target::Path(path));
    let url_pairs = url_query.iter().map(|(k, v)| (k, v));
    for (name, value) in url_pairs.chain(input.query.iter()) {
        request = request.query(name.as_str(), value.as_str());
    }
    let md5_given = input.headers.as_map().contains_key("content-md5");
    let mut headers = std::mem::take(&mut input.headers).into_map();
    // The signer writes the payload hash the chosen form is signed with.
    headers.remove(CONTENT_SHA256);
    request = request.headers(headers);
    if let Some(body) = input.into_body()?.filter(|b| !b.is_empty()) {
        request = request.body(Body::from_bytes(body));
        if !md5_given && checksum.is_none() {
            request = request.with_content_md5();
        }
    }
    if let Some(checksum) = checksum {
        request = request.checksum(checksum);
    }
    Ok(request)
}

impl MakeApiCallInput {
    /// Whether the method carries a request body (PUT, POST).
    fn sends_body(&self) -> bool {
        matches!(self.method, HttpMethod::Put | HttpMethod::Post)
    }

    /// Refuses a body given both as text and as base64 (the schema does too).
    fn check_one_body(&self) -> Result<()> {
        if self.body.is_some() && self.body_base64.is_some() {
            return Err(Error::invalid_input(
                "body_base64",
                "give the body either as text (body) or as base64 (body_base64), not both",
            ));
        }
        Ok(())
    }

    /// The body's bytes, whichever way it was given.
    fn into_body(self) -> Result<Option<Vec<u8>>> {
        self.check_one_body()?;
        Ok(match (self.body, self.body_base64) {
            (Some(text), _) => Some(text.into_bytes()),
            (None, Some(content)) => Some(content.into_bytes()),
            (None, None) => None,
        })
    }
}

#[async_trait]
impl Module for MakeApiCall {
    type Input = MakeApiCallInput;
    type Output = MakeApiCallOutput;
    const NAME: &'static str = "make_api_call";
    const LABEL: &'static str = "Make an API Call";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Performs any S3 REST API call against the connection's \
        endpoint, signed for you (see the Amazon S3 API Reference).";
    const EFFECTS: Effects = Effects::UNKNOWN;
    const TAKES_CONTENT: bool = true;

    /// The bucket is the first segment of the path (`/my-bucket/key?acl`); `/` names none.
    fn named_buckets(&self, input: &MakeApiCallInput) -> Vec<(&'static str, String)> {
        let Ok((path, _)) = split_url(&input.url) else {
            return Vec::new();
        };
        match path.split('/').next() {
            Some(bucket) if !bucket.is_empty() => vec![("url", bucket.to_owned())],
            _ => Vec::new(),
        }
    }

    fn validate(&self, input: &MakeApiCallInput) -> Result<()> {
        split_url(&input.url)?;
        for name in input.query.keys() {
            if name.is_empty() {
                return Err(Error::invalid_input(
                    "query",
                    "a query parameter has no name",
                ));
            }
            if name.to_ascii_lowercase().starts_with("x-amz-") {
                return Err(Error::invalid_input(
                    format!("query.{name}"),
                    "X-Amz-* query parameters are for presigned URLs; the request is signed with headers",
                ));
            }
        }
        input.check_one_body()?;
        payload_checksum(input).map(|_| ())
    }

    async fn run(&self, ctx: &Context, input: MakeApiCallInput) -> Result<MakeApiCallOutput> {
        let allow_error_status = input.allow_error_status;
        let request = build_request(input)?;
        let place = request.payload_checksum().and_then(ChecksumPlace::of);
        let response = if allow_error_status {
            ctx.client().send_any(request).await?
        } else {
            ctx.client().send(request).await?
        };

        let checksum = place
            .zip(response.sent_checksum())
            .map(|(sent_in, digest)| SentChecksum {
                algorithm: digest.algorithm(),
                value: digest.to_base64(),
                sent_in,
            });
        let status = response.status().as_u16();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(&value);
                })
                .or_insert(value);
        }
        let is_xml = headers
            .get("content-type")
            .is_some_and(|t| t.contains("xml"));
        let bytes = response
            .bytes_capped(MAX_RESPONSE_BYTES, "the response body")
            .await
            .map_err(|err| err.context("use Get File with save_to for large files"))?;
        let mut output = MakeApiCallOutput {
            status,
            headers,
            body: None,
            body_base64: None,
            xml: None,
            checksum,
        };
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => {
                let looks_xml = is_xml || text.trim_start().starts_with("<?xml");
                if looks_xml && !text.is_empty() {
                    output.xml = connector_core::wire::xml::to_json(&text).ok();
                }
                if !text.is_empty() {
                    output.body = Some(text);
                }
            }
            Err(_) => {
                output.body_base64 = Some(base64::engine::general_purpose::STANDARD.encode(&bytes))
            }
        }
        Ok(output)
    }
}

register_module!(MakeApiCall);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_only() {
        let (path, query) = split_url("/my-bucket?cors").unwrap();
        assert_eq!(path, "my-bucket");
        assert_eq!(query, vec![("cors".to_owned(), String::new())]);
        let (path, query) = split_url("b/a b.txt?versionId=x%2By&partNumber=1").unwrap();
        assert_eq!(path, "b/a b.txt");
        assert_eq!(query[0], ("versionId".to_owned(), "x+y".to_owned()));
        for bad in [
            "https://evil.example.com/x",
            "//evil.example.com/x",
            "/b/../c",
            "/b#frag",
        ] {
            assert_eq!(split_url(bad).unwrap_err().field(), Some("url"), "{bad}");
        }
    }

    #[test]
    fn signer_headers_are_refused() {
        let read = |headers: serde_json::Value| {
            connector_core::framework::input::read::<MakeApiCallInput, _>(
                serde_json::json!({"method": "GET", "url": "b", "headers": headers}),
                "invalid input",
            )
        };
        for name in [
            "Authorization",
            "Host",
            "X-Amz-Date",
            "x-amz-content-sha256",
            "X-Amz-Security-Token",
        ] {
            let err = read(serde_json::json!({name: "x"})).unwrap_err();
            assert_eq!(err.field(), Some(format!("headers.{name}").as_str()));
        }
        read(serde_json::json!({"Content-Type": "application/xml"})).unwrap();
    }

    /// An input read (schema-free) and checked as the registry does.
    fn checked(input: serde_json::Value) -> Result<MakeApiCallInput> {
        let input =
            connector_core::framework::input::read::<MakeApiCallInput, _>(input, "invalid input")?;
        MakeApiCall.validate(&input)?;
        Ok(input)
    }

    fn put_with(headers: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
        let mut input = serde_json::json!({"method": "PUT", "url": "b/k", "body": "hello",
                                           "headers": headers});
        for (name, value) in extra.as_object().unwrap() {
            input[name] = value.clone();
        }
        input
    }

    /// Each streaming value selects its aws-chunked form, with CRC32C unless the
    /// `x-amz-sdk-checksum-algorithm` header or `checksum_algorithm` names another; the value
    /// itself is left for the signer to write, and no Content-MD5 is added.
    #[test]
    fn streaming_values_select_the_chunked_form() {
        use connector_core::wire::chunked::ChunkedMode;
        for (value, mode) in [
            ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", ChunkedMode::Signed),
            (
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                ChunkedMode::SignedWithTrailer,
            ),
            (
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                ChunkedMode::UnsignedWithTrailer,
            ),
        ] {
            let input = checked(put_with(
                serde_json::json!({"X-Amz-Content-Sha256": value}),
                serde_json::json!({}),
            ))
            .unwrap();
            let request = build_request(input).unwrap();
            assert_eq!(
                request.payload_checksum(),
                Some(PayloadChecksum::chunked(ChecksumAlgorithm::Crc32c, mode))
            );
            assert_eq!(request.header_value(CONTENT_SHA256), None);
            assert_eq!(request.header_value("content-md5"), None);
            assert_eq!(request.body_ref().len(), 5);
        }
        let trailer = serde_json::json!("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        for (headers, extra, algorithm) in [
            (
                serde_json::json!({"x-amz-content-sha256": trailer, "X-Amz-Sdk-Checksum-Algorithm": "sha1"}),
                serde_json::json!({}),
                ChecksumAlgorithm::Sha1,
            ),
            (
                serde_json::json!({"x-amz-content-sha256": trailer}),
                serde_json::json!({"checksum_algorithm": "CRC64NVME"}),
                ChecksumAlgorithm::Crc64Nvme,
            ),
            (
                serde_json::json!({"x-amz-content-sha256": trailer, "x-amz-sdk-checksum-algorithm": "CRC32"}),
                serde_json::json!({"checksum_algorithm": "CRC32"}),
                ChecksumAlgorithm::Crc32,
            ),
        ] {
            let request = build_request(checked(put_with(headers, extra)).unwrap()).unwrap();
            assert_eq!(
                request.payload_checksum(),
                Some(PayloadChecksum::chunked(
                    algorithm,
                    ChunkedMode::UnsignedWithTrailer
                ))
            );
        }
    }

    /// Without a streaming value, `checksum_algorithm` sends the checksum in a header (no
    /// Content-MD5 then); without either, the request is as before.
    #[test]
    fn checksum_algorithm_alone_sends_a_header_checksum() {
        let input = checked(put_with(
            serde_json::json!({}),
            serde_json::json!({"checksum_algorithm": "SHA256"}),
        ))
        .unwrap();
        let request = build_request(input).unwrap();
        assert_eq!(
            request.payload_checksum(),
            Some(PayloadChecksum::Header(ChecksumAlgorithm::Sha256))
        );
        assert_eq!(request.header_value("content-md5"), None);
        let plain =
            build_request(checked(put_with(serde_json::json!({}), serde_json::json!({}))).unwrap())
                .unwrap();
        assert_eq!(plain.payload_checksum(), None);
        assert!(plain.header_value("content-md5").is_some());
    }

    /// What a streamed body cannot be given with is refused before sending, naming the field
    /// and the fix.
    #[test]
    fn streaming_mistakes_are_refused_with_the_fix() {
        let signed = serde_json::json!("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        let trailer = serde_json::json!("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
        let allowed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, \
                       STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER";
        let cases = [
            (
                serde_json::json!({"method": "DELETE", "url": "b/k", "checksum_algorithm": "CRC32"}),
                "checksum_algorithm",
                "a checksum goes with a request body: use PUT or POST",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}),
                    serde_json::json!({}),
                ),
                "headers.x-amz-content-sha256",
                "UNSIGNED-PAYLOAD is not supported",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": "abc"}),
                    serde_json::json!({}),
                ),
                "headers.x-amz-content-sha256",
                allowed,
            ),
            (
                serde_json::json!({"method": "GET", "url": "b/k",
                                   "headers": {"x-amz-content-sha256": trailer}}),
                "headers.x-amz-content-sha256",
                "use PUT or POST",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": trailer, "x-amz-sdk-checksum-algorithm": "MD5"}),
                    serde_json::json!({}),
                ),
                "headers.x-amz-sdk-checksum-algorithm",
                "use one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": trailer, "x-amz-sdk-checksum-algorithm": "SHA1"}),
                    serde_json::json!({"checksum_algorithm": "CRC32"}),
                ),
                "checksum_algorithm",
                "says SHA1 and checksum_algorithm says CRC32: give one",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": signed}),
                    serde_json::json!({"checksum_algorithm": "CRC32"}),
                ),
                "checksum_algorithm",
                "sends no checksum (its frames are signed instead)",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": signed, "x-amz-sdk-checksum-algorithm": "CRC32"}),
                    serde_json::json!({}),
                ),
                "headers.x-amz-sdk-checksum-algorithm",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": trailer, "x-amz-checksum-crc32c": "AAAAAA=="}),
                    serde_json::json!({}),
                ),
                "headers.x-amz-checksum-crc32c",
                "remove x-amz-checksum-crc32c: the checksum is computed for you",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-checksum-sha1": "x"}),
                    serde_json::json!({"checksum_algorithm": "SHA1"}),
                ),
                "headers.x-amz-checksum-sha1",
                "choose its algorithm with checksum_algorithm",
            ),
            (
                put_with(
                    serde_json::json!({"x-amz-content-sha256": signed, "x-amz-decoded-content-length": "5"}),
                    serde_json::json!({}),
                ),
                "headers.x-amz-decoded-content-length",
                "written for you when the body is streamed",
            ),
        ];
        for (input, field, words) in cases {
            let err = checked(input.clone()).unwrap_err();
            assert_eq!(err.field(), Some(field), "{input}: {}", err.message());
            assert!(err.message().contains(words), "{input}: {}", err.message());
        }
        // A checksum header of the caller's own, without a checksum asked for, is sent as given.
        let own = checked(put_with(
            serde_json::json!({"x-amz-checksum-crc32": "AAAAAA=="}),
            serde_json::json!({}),
        ))
        .unwrap();
        assert_eq!(build_request(own).unwrap().payload_checksum(), None);
    }

    /// An odd path and query, headers and a body, built without a server: the URL is encoded
    /// once (a space as `%20`, a `+` as `%2B`, a typed `%20` kept as text), the query keeps the
    /// URL's pairs then the `query` field's, and a `Content-MD5` is added for the body.
    #[test]
    fn a_request_is_built_without_sending() {
        let input: MakeApiCallInput = serde_json::from_value(serde_json::json!({
            "method": "PUT",
            "url": " /my-bucket/a b+c/ü%20.txt?tagging&versionId=x%2By&note=a+b ",
            "query": {"list-type": "2"},
            "headers": {"Content-Type": "text/plain", "x-amz-meta-Note": "hi"},
            "body": "hello",
        }))
        .unwrap();
        let request = build_request(input).unwrap();
        assert_eq!(request.method(), Method::PUT);
        let url = request
            .url(&connector_core::Endpoint::aws("eu-west-1"))
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://s3.eu-west-1.amazonaws.com/my-bucket/a%20b%2Bc/%C3%BC%2520.txt\
             ?tagging&versionId=x%2By&note=a%2Bb&list-type=2"
        );
        assert_eq!(request.header_value("content-type"), Some("text/plain"));
        assert_eq!(request.header_value("x-amz-meta-note"), Some("hi"));
        assert_eq!(
            request.header_value("content-md5"),
            Some("XUFAKrxLKna5cZ2REBfFkg==")
        );
        assert_eq!(request.body_ref().len(), 5);

        let given_md5: MakeApiCallInput = serde_json::from_value(serde_json::json!({
            "method": "POST", "url": "b?delete", "headers": {"Content-MD5": "abc="}, "body": "x",
        }))
        .unwrap();
        let request = build_request(given_md5).unwrap();
        assert_eq!(
            request.header_map().get_all("content-md5").iter().count(),
            1
        );
        assert_eq!(request.header_value("content-md5"), Some("abc="));
    }
}
