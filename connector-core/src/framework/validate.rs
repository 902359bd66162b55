//! Checks on user input that S3 would otherwise refuse after a round trip, or worse, accept
//! with another meaning. Each check names the field and says how to fix it.

use crate::error::{Error, Result};
use crate::wire::chunked::ChunkedMode;
use crate::wire::endpoint::is_region_code;

/// The header naming the payload hash a request is signed with.
const CONTENT_SHA256: &str = "x-amz-content-sha256";

/// The longest object key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// A bucket name as S3 requires it for a *new* bucket (the full current rules).
pub fn new_bucket_name(field: &str, name: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid_input(
            field,
            format!("invalid bucket name {name:?}: {why}"),
        ))
    };
    if name.len() < 3 || name.len() > 63 {
        return bad("a bucket name is 3 to 63 characters long");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return bad(&format!(
            "{c:?} is not allowed; use lowercase letters, digits, dots (.) and hyphens (-)"
        ));
    }
    let first = name.as_bytes()[0];
    let last = name.as_bytes()[name.len() - 1];
    if !(first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()) {
        return bad("it must begin and end with a letter or a digit");
    }
    if name.contains("..") {
        return bad("it must not have two dots in a row");
    }
    if name.contains(".-") || name.contains("-.") {
        return bad("a dot next to a hyphen is not allowed");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return bad("it must not look like an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return bad(&format!("the prefix {prefix:?} is reserved by AWS"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return bad(&format!("the suffix {suffix:?} is reserved by AWS"));
        }
    }
    Ok(())
}

/// The name of an existing bucket. Older buckets in us-east-1 may have capitals and
/// underscores, so only the characters and the length are checked.
pub fn bucket_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_input(field, "the bucket name is empty"));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid_input(
            field,
            format!(
                "{name:?} is not a bucket name: a '.' or '..' path segment is removed from URLs \
                 before sending, which would address another resource; give the bucket's name"
            ),
        ));
    }
    if name.len() > 255
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(Error::invalid_input(
            field,
            format!(
                "invalid bucket name {name:?}: use letters, digits, dots, hyphens and underscores only \
                 (the bucket's name, not a URL or an ARN)"
            ),
        ));
    }
    Ok(())
}

/// An object key: not empty, at most 1024 bytes, and no `.` or `..` path segment (HTTP clients
/// remove those before sending, which would silently address another object).
pub fn object_key(field: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid_input(field, "the key (file path) is empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::invalid_input(
            field,
            format!(
                "the key is {} bytes long; S3 allows at most {MAX_KEY_BYTES} bytes (UTF-8)",
                key.len()
            ),
        ));
    }
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(Error::invalid_input(
            field,
            format!(
                "the key {key:?} has a '.' or '..' segment between slashes, which HTTP clients \
                 rewrite before sending; rename the object without it"
            ),
        ));
    }
    Ok(())
}

/// An optional version ID: when given, not empty.
pub fn version_id(field: &str, version_id: Option<&str>) -> Result<()> {
    if version_id == Some("") {
        return Err(Error::invalid_input(
            field,
            "the version ID is empty; leave the field out for the current version",
        ));
    }
    Ok(())
}

/// A prefix (folder path) for listing: at most 1024 bytes. Empty means the whole bucket.
pub fn prefix(field: &str, prefix: &str) -> Result<()> {
    if prefix.len() > MAX_KEY_BYTES {
        return Err(Error::invalid_input(
            field,
            format!("the prefix is longer than {MAX_KEY_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A folder that becomes part of keys: a [`prefix`], without a `.` or `..` segment between
/// slashes (HTTP clients rewrite those, which would address other objects).
pub fn folder(field: &str, folder: &str) -> Result<()> {
    prefix(field, folder)?;
    if folder
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(Error::invalid_input(
            field,
            format!(
                "the folder {folder:?} has a '.' or '..' segment between slashes, which HTTP \
                 clients rewrite before sending; give the folder's path without it"
            ),
        ));
    }
    Ok(())
}

/// A continuation token, when given: not empty.
pub fn continuation_token(field: &str, token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::invalid_input(
            field,
            "the continuation token is empty; leave the field out to start from the beginning",
        ));
    }
    Ok(())
}

/// An HTTP header name: a token as RFC 9110 defines it.
pub fn header_name(field: &str, name: &str) -> Result<()> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Error::invalid_input(
            field,
            format!("{name:?} is not a valid header name: use letters, digits and '-'"),
        ));
    }
    Ok(())
}

/// An HTTP header value: printable ASCII and tabs only. Other characters would be mangled or
/// refused on the way; encode them first (for metadata, e.g. percent-encoding).
pub fn header_value(field: &str, value: &str) -> Result<()> {
    if let Some(c) = value
        .chars()
        .find(|c| !(*c == '\t' || (' '..='~').contains(c)))
    {
        let why = if c.is_control() {
            "control characters (line breaks, …) are not allowed in a header value".to_owned()
        } else {
            format!(
                "{c:?} is not ASCII; header values must be plain ASCII (percent-encode other text)"
            )
        };
        return Err(Error::invalid_input(field, why));
    }
    Ok(())
}

/// The `x-amz-content-sha256` values a caller may give, each selecting a streamed
/// (aws-chunked) body: every frame signed; every frame signed and the checksum in a signed
/// trailer; plain frames and the checksum in a trailer.
pub const STREAMING_CONTENT_SHA256: [ChunkedMode; 3] = [
    ChunkedMode::Signed,
    ChunkedMode::SignedWithTrailer,
    ChunkedMode::UnsignedWithTrailer,
];

/// The aws-chunked form an `x-amz-content-sha256` header `value` selects (one of
/// [`STREAMING_CONTENT_SHA256`], as S3 spells it). Any other value is refused: the connector computes
/// and signs the body's SHA-256 itself, and does not send a body unsigned without a checksum
/// (`UNSIGNED-PAYLOAD`).
pub fn streaming_content_sha256(field: &str, value: &str) -> Result<ChunkedMode> {
    if let Some(mode) = STREAMING_CONTENT_SHA256
        .into_iter()
        .find(|mode| mode.content_sha256() == value)
    {
        return Ok(mode);
    }
    let allowed = STREAMING_CONTENT_SHA256
        .map(ChunkedMode::content_sha256)
        .join(", ");
    let message = if value == "UNSIGNED-PAYLOAD" {
        format!(
            "UNSIGNED-PAYLOAD is not supported: the connector signs the body's SHA-256 or streams              it; for an unsigned body give STREAMING-UNSIGNED-PAYLOAD-TRAILER (its checksum              trailer still guards the bytes), or remove the header. Allowed values: {allowed}"
        )
    } else {
        format!(
            "x-amz-content-sha256 {value:?} is not allowed: remove the header (the body's              SHA-256 is computed and signed for you), or give one of {allowed} to stream the              body aws-chunked"
        )
    };
    Err(Error::invalid_input(field, message))
}

/// A header a caller adds to a request: a valid name and value, and not one the signer or the
/// HTTP client writes (`Authorization`, `Host`, `X-Amz-Date`, `X-Amz-Security-Token`,
/// `Content-Length`, `Transfer-Encoding`, `Connection`, `Expect`). `X-Amz-Content-Sha256` is
/// taken only with a streaming value ([`streaming_content_sha256`]), which selects how the
/// body is sent.
pub fn request_header(field: &str, name: &str, value: &str) -> Result<()> {
    header_name(field, name)?;
    header_value(field, value)?;
    let lower = name.to_ascii_lowercase();
    if lower == CONTENT_SHA256 {
        return streaming_content_sha256(field, value).map(|_| ());
    }
    let why = if crate::wire::signer::SIGNER_HEADERS.contains(&lower.as_str()) {
        "it is added by the connector when it signs the request"
    } else {
        match lower.as_str() {
            "content-length" => "it is computed from the body",
            "transfer-encoding" | "connection" => "it is managed by the HTTP client",
            "expect" => "100-continue is not supported (the body is sent at once)",
            _ => return Ok(()),
        }
    };
    Err(Error::invalid_input(field, format!("remove {name}: {why}")))
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
pub fn role_arn(field: &str, arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len();
    if !ok {
        return Err(Error::invalid_input(
            field,
            format!("{arn:?} is not a role ARN; write it like arn:aws:iam::123456789012:role/NAME"),
        ));
    }
    Ok(())
}

/// A role session name: 2 to 64 of `A-Z a-z 0-9 + = , . @ -`.
pub fn role_session_name(field: &str, name: &str) -> Result<()> {
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if !ok {
        return Err(Error::invalid_input(
            field,
            format!("{name:?} is not a session name: 2 to 64 letters, digits or + = , . @ _ -"),
        ));
    }
    Ok(())
}

/// Standard headers PutObject understands (lower case), besides any `x-amz-*` header.
pub const PUT_OBJECT_HEADERS: [&str; 8] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-type",
    "expires",
    "if-match",
    "if-none-match",
];

/// A header for PutObject: a [`request_header`], and one S3 understands on an upload (the
/// standard ones in [`PUT_OBJECT_HEADERS`] or `x-amz-*`). `Content-MD5` is refused: the
/// connector computes it; so is `X-Amz-Content-Sha256`, even with a streaming value.
pub fn put_object_header(field: &str, name: &str, value: &str) -> Result<()> {
    request_header(field, name, value)?;
    let lower = name.to_ascii_lowercase();
    if lower == CONTENT_SHA256 {
        return Err(Error::invalid_input(
            field,
            format!(
                "remove {name}: an upload's body form follows the connection's checksum                  settings (use Make an API Call to choose it)"
            ),
        ));
    }
    if lower == "content-md5" {
        return Err(Error::invalid_input(
            field,
            "remove Content-MD5: it is computed and sent for you",
        ));
    }
    if !(lower.starts_with("x-amz-") || PUT_OBJECT_HEADERS.contains(&lower.as_str())) {
        return Err(Error::invalid_input(
            field,
            format!(
                "{name} is not a PutObject header; use one of {} or an x-amz-* header",
                PUT_OBJECT_HEADERS.join(", ")
            ),
        ));
    }
    Ok(())
}

/// An AWS region code such as `eu-west-1`.
pub fn region(field: &str, region: &str) -> Result<()> {
    if !is_region_code(region) {
        return Err(Error::invalid_input(
            field,
            format!("{region:?} is not a region code; write it like us-east-1 or eu-central-1"),
        ));
    }
    Ok(())
}

/// The rules above as JSON Schema keywords, for the input types' schemas: the value types of
/// `framework::types` (built on this file) carry theirs (a `BucketName` field gets
/// [`bucket_name`](schema::bucket_name)), other fields name theirs
/// (`#[schemars(transform = validate::schema::header_value)]`). A form or a platform then
/// refuses what these checks refuse, before the connector is called. Each transform adds to
/// the field's own schema (so an optional field stays nullable). What JSON Schema cannot say
/// (a length in bytes of UTF-8) is said in the field's description.
pub mod schema {
    use schemars::Schema;
    use serde_json::{Value, json};

    /// An RFC 9110 token (a header name).
    pub const TOKEN: &str = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
    /// A header value: printable ASCII and tabs.
    pub const HEADER_VALUE: &str = "^[\\t\\x20-\\x7E]*$";
    /// A key or folder path with a `.` or `..` segment.
    const DOT_SEGMENT: &str = "(^|/)\\.\\.?(/|$)";
    /// The characters Rust's `trim` removes (Unicode White_Space), for a regex class.
    pub const WHITE_SPACE: &str =
        "\\t\\n\\x0B\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

    /// A calendar date `YYYY-MM-DD` (months of their length, 29 February in leap years).
    pub fn date_pattern() -> String {
        let year = "[0-9]{4}";
        let leap = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)";
        format!(
            "({year}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\
             |{year}-(0[13-9]|1[0-2])-(29|30)\
             |{year}-(0[13578]|1[02])-31\
             |{leap}-02-29)"
        )
    }

    /// An RFC 3339 time, as [`parse_rfc3339`](crate::wire::headers::parse_rfc3339) reads it.
    pub fn rfc3339(schema: &mut Schema) {
        let time = "[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?";
        let offset = "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
        add(
            schema,
            json!({"pattern": format!("^{}{time}{offset}$", date_pattern())}),
        );
    }

    /// Adds `keywords` to `schema`.
    pub fn add(schema: &mut Schema, keywords: Value) {
        if let Value::Object(keywords) = keywords {
            for (name, value) in keywords {
                schema.insert(name, value);
            }
        }
    }

    /// Appends `text` to the schema's description (a rule JSON Schema cannot say).
    pub fn note(schema: &mut Schema, text: &str) {
        let description = match schema.get("description").and_then(Value::as_str) {
            Some(old) => format!("{old} {text}"),
            None => text.to_owned(),
        };
        schema.insert("description".to_owned(), Value::String(description));
    }

    /// A pattern that matches `word` in any case (`content-type` → `[Cc][Oo]…`).
    pub fn any_case(word: &str) -> String {
        word.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                } else if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c.to_string()
                } else {
                    format!("\\{c}")
                }
            })
            .collect()
    }

    /// A pattern matching exactly one of `words`, in any case.
    pub fn one_of_words(words: &[&str]) -> String {
        let alternatives: Vec<String> = words.iter().map(|w| any_case(w)).collect();
        format!("^({})$", alternatives.join("|"))
    }

    /// `{"not": {"type": "string", "pattern": P}}`: refuses strings matching `pattern`, and
    /// nothing else (a `null` of an optional field stays valid).
    pub fn not_matching(pattern: &str) -> Value {
        json!({"not": {"type": "string", "pattern": pattern}})
    }

    /// The object has `field`, and not as `null` (which means the same as leaving it out).
    pub fn given(field: &str) -> Value {
        json!({"required": [field], "properties": {field: {"not": {"type": "null"}}}})
    }

    /// When `a` is given, `b` is not (an error then names `b`).
    pub fn not_with(a: &str, b: &str) -> Value {
        json!({"if": given(a), "then": {"properties": {b: {"type": "null"}}}})
    }

    /// `a` or `b`, not both: an error names `b` when both are given, `a` when neither is.
    pub fn one_of_two(a: &str, b: &str) -> Value {
        json!({"allOf": [
            not_with(a, b),
            {"if": {"not": given(b)}, "then": given(a)},
        ]})
    }

    /// The name of an existing bucket ([`bucket_name`](super::bucket_name)).
    pub fn bucket_name(schema: &mut Schema) {
        add(
            schema,
            json!({"minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9._-]+$",
                   "not": {"enum": [".", ".."]}}),
        );
    }

    /// The name of a new bucket ([`new_bucket_name`](super::new_bucket_name)).
    pub fn new_bucket_name(schema: &mut Schema) {
        let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        add(
            schema,
            json!({
                "minLength": 3, "maxLength": 63, "pattern": "^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
                "not": {"anyOf": [
                    {"pattern": "\\.\\.|\\.-|-\\."},
                    {"pattern": format!("^{octet}(\\.{octet}){{3}}$")},
                    {"pattern": "^(xn--|sthree-|amzn-s3-demo-)"},
                    {"pattern": "(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$"},
                ]},
            }),
        );
    }

    /// An object key ([`object_key`](super::object_key)): JSON Schema counts characters, so
    /// the limit in bytes is said in the description.
    pub fn object_key(schema: &mut Schema) {
        add(
            schema,
            json!({"minLength": 1, "maxLength": super::MAX_KEY_BYTES}),
        );
        add(schema, not_matching(DOT_SEGMENT));
        note(
            schema,
            "At most 1,024 bytes of UTF-8; no `.` or `..` segment between slashes.",
        );
    }

    /// A listing prefix ([`prefix`](super::prefix)).
    pub fn prefix(schema: &mut Schema) {
        add(schema, json!({"maxLength": super::MAX_KEY_BYTES}));
        note(schema, "At most 1,024 bytes of UTF-8.");
    }

    /// A folder that becomes part of a key: a prefix without `.` or `..` segments.
    pub fn folder(schema: &mut Schema) {
        prefix(schema);
        add(schema, not_matching(DOT_SEGMENT));
    }

    /// An optional text that, when given, is not empty (a version ID, a continuation token).
    pub fn not_empty(schema: &mut Schema) {
        add(schema, json!({"minLength": 1}));
    }

    /// A header value ([`header_value`](super::header_value)).
    pub fn header_value(schema: &mut Schema) {
        add(schema, json!({"pattern": HEADER_VALUE}));
    }

    /// Header names to values ([`header_name`](super::header_name),
    /// [`header_value`](super::header_value)).
    pub fn headers(schema: &mut Schema) {
        add(
            schema,
            json!({
                "propertyNames": {"pattern": TOKEN},
                "additionalProperties": {"type": "string", "pattern": HEADER_VALUE},
            }),
        );
    }

    /// Headers of a request the connector signs ([`request_header`](super::request_header)).
    /// `X-Amz-Content-Sha256` (any case) only with a streaming value
    /// ([`streaming_content_sha256`](super::streaming_content_sha256)).
    pub fn request_headers(schema: &mut Schema) {
        headers(schema);
        let owned: Vec<&str> = OWNED_HEADERS
            .into_iter()
            .filter(|name| *name != super::CONTENT_SHA256)
            .collect();
        let streaming = super::STREAMING_CONTENT_SHA256.map(|mode| mode.content_sha256());
        add(
            schema,
            json!({
                "propertyNames": {"pattern": TOKEN, "not": {"pattern": one_of_words(&owned)}},
                "patternProperties": {
                    format!("^{}$", any_case(super::CONTENT_SHA256)): {"enum": streaming},
                },
            }),
        );
    }

    /// Headers of an upload ([`put_object_header`](super::put_object_header)).
    pub fn put_object_headers(schema: &mut Schema) {
        headers(schema);
        let mut standard: Vec<String> = super::PUT_OBJECT_HEADERS
            .iter()
            .map(|h| any_case(h))
            .collect();
        standard.push(format!("{}[!#$%&'*+.^_`|~0-9A-Za-z-]*", any_case("x-amz-")));
        let mut owned = OWNED_HEADERS.to_vec();
        owned.push("content-md5");
        add(
            schema,
            json!({"propertyNames": {
                "pattern": format!("^({})$", standard.join("|")),
                "not": {"pattern": one_of_words(&owned)},
            }}),
        );
    }

    /// The headers the signer and the HTTP client write, which a caller may not give.
    const OWNED_HEADERS: [&str; 9] = [
        "authorization",
        "host",
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
        "content-length",
        "transfer-encoding",
        "connection",
        "expect",
    ];

    /// Base64 (the standard alphabet, canonical padding) that may have ASCII spaces and line
    /// breaks anywhere, as the connector decodes it.
    pub fn base64(schema: &mut Schema) {
        let w = "[\\t\\n\\f\\r ]*";
        let c = format!("[A-Za-z0-9+/]{w}");
        add(
            schema,
            json!({"pattern": format!(
                "^{w}({c}{c}{c}{c})*({c}{c}[AEIMQUYcgkosw048]{w}={w}|{c}[AQgw]{w}={w}={w})?$"
            )}),
        );
    }

    /// Text that is not empty and has no white space around it (access keys).
    pub fn trimmed(schema: &mut Schema) {
        add(
            schema,
            json!({"pattern": format!("^[^{WHITE_SPACE}]([\\s\\S]*[^{WHITE_SPACE}])?$")}),
        );
    }

    /// An access key ID as it goes into the `Authorization` header's credential: letters,
    /// digits and `-_.~+` (a `/`, `,` or `=` would cut the header apart).
    pub fn access_key_id(schema: &mut Schema) {
        add(schema, json!({"pattern": "^[A-Za-z0-9_.~+-]+$"}));
    }

    /// A token sent in a header: printable ASCII without spaces.
    pub fn header_token(schema: &mut Schema) {
        add(schema, json!({"pattern": "^[\\x21-\\x7E]+$"}));
    }

    /// An endpoint URL: `http://` or `https://`, a host and a port, nothing else.
    pub fn endpoint_url(schema: &mut Schema) {
        add(
            schema,
            json!({"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?/?$"}),
        );
    }

    /// A region code ([`region`](super::region)).
    pub fn region(schema: &mut Schema) {
        add(
            schema,
            json!({"minLength": 1, "maxLength": 32, "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"}),
        );
    }

    /// An IAM role ARN ([`role_arn`](super::role_arn)).
    pub fn role_arn(schema: &mut Schema) {
        add(
            schema,
            json!({"pattern": "^arn:aws[a-z-]*:iam:[a-z0-9-]*:[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$"}),
        );
    }

    /// A role session name ([`role_session_name`](super::role_session_name)).
    pub fn role_session_name(schema: &mut Schema) {
        add(
            schema,
            json!({"minLength": 2, "maxLength": 64, "pattern": "^[A-Za-z0-9+=,.@_-]+$"}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_bucket_names_follow_s3_rules() {
        for good in ["my-bucket", "abc", "a.b.c", "bucket-2026", &"a".repeat(63)] {
            new_bucket_name("bucket", good).unwrap();
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "my_bucket",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.5.4",
            "xn--abc",
            "sthree-abc",
            "amzn-s3-demo-x",
            "abc-s3alias",
            "abc--ol-s3",
            "abc.mrap",
            "abc--x-s3",
            "abc--table-s3",
        ] {
            let err = new_bucket_name("bucket", bad).unwrap_err();
            assert_eq!(err.field(), Some("bucket"), "{bad}");
        }
    }

    #[test]
    fn existing_bucket_names_allow_legacy_forms() {
        bucket_name("bucket", "Legacy_Bucket.1").unwrap();
        assert!(bucket_name("bucket", "").is_err());
        assert!(bucket_name("bucket", "s3://x").is_err());
        assert!(bucket_name("bucket", "a b").is_err());
        bucket_name("bucket", "...").unwrap();
    }

    #[test]
    fn dot_bucket_names_are_refused_before_sending() {
        // URL parsing drops `.` and `..` path segments, so `/./key` or `/../key` would address
        // another resource than the bucket named.
        for dots in [".", ".."] {
            let err = bucket_name("bucket", dots).unwrap_err();
            assert_eq!(err.field(), Some("bucket"));
            assert!(err.message().contains("'.' or '..'"), "{}", err.message());
        }
    }

    #[test]
    fn keys() {
        object_key("key", "a b/c+d/é/ //x").unwrap();
        object_key("key", "/leading").unwrap();
        object_key("key", "...").unwrap();
        assert!(object_key("key", "").is_err());
        assert!(object_key("key", &"k".repeat(1025)).is_err());
        object_key("key", &"k".repeat(1024)).unwrap();
        for bad in ["a/./b", "a/../b", "./a", "a/..", "."] {
            assert!(object_key("key", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers() {
        header_name("headers", "Cache-Control").unwrap();
        assert!(header_name("headers", "Bad Name").is_err());
        header_value("headers.x", "max-age=60, public").unwrap();
        assert!(header_value("headers.x", "a\r\nb").is_err());
        assert!(header_value("headers.x", "é").is_err());
        for owned in [
            "Authorization",
            "host",
            "X-Amz-Date",
            "Content-Length",
            "Expect",
        ] {
            let err = request_header("headers.h", owned, "x").unwrap_err();
            assert!(err.message().starts_with(&format!("remove {owned}")));
        }
        request_header("headers.h", "x-amz-acl", "private").unwrap();
    }

    #[test]
    fn content_sha256_is_taken_only_with_a_streaming_value() {
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
            assert_eq!(streaming_content_sha256("h", value).unwrap(), mode);
            request_header(
                "headers.X-Amz-Content-Sha256",
                "X-Amz-Content-Sha256",
                value,
            )
            .unwrap();
            // An upload chooses its body's form from the connection's settings.
            let err = put_object_header("headers.x", "x-amz-content-sha256", value).unwrap_err();
            assert!(err.message().starts_with("remove x-amz-content-sha256"));
        }
        let allowed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, \
                       STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER";
        let field = "headers.x-amz-content-sha256";
        for value in [
            EMPTY_SHA256_FOR_TEST,
            "x",
            "streaming-unsigned-payload-trailer",
            "",
        ] {
            let err = request_header(field, "x-amz-content-sha256", value).unwrap_err();
            assert_eq!(err.field(), Some(field));
            assert!(
                err.message().contains("remove the header"),
                "{}",
                err.message()
            );
            assert!(err.message().contains(allowed), "{}", err.message());
        }
        let err = request_header(field, "x-amz-content-sha256", "UNSIGNED-PAYLOAD").unwrap_err();
        assert!(
            err.message()
                .starts_with("UNSIGNED-PAYLOAD is not supported")
                && err.message().contains(allowed),
            "{}",
            err.message()
        );
    }

    /// The SHA-256 of nothing, a value a caller might copy from a request log.
    const EMPTY_SHA256_FOR_TEST: &str = crate::wire::signer::EMPTY_SHA256;
}
