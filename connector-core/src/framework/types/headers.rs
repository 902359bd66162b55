//! Headers given in an input (a JSON object of name → value), checked while they are read and
//! kept as the [`HeaderMap`] they are sent in: [`RequestHeaders`] for any request,
//! [`PutObjectHeaders`] for those S3 takes with a new object.

use crate::error::Result;
use crate::framework::validate;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// What a kind of headers allows: a check of one header, given the field it names
/// (`headers.NAME`).
pub trait HeaderRule {
    /// Checks header `name: value`; the error names `field`.
    fn check(field: &str, name: &str, value: &str) -> Result<()>;
}

/// Headers of kind `R`, in the order given. Each is refused while read when `R` refuses it,
/// and the error names it (`headers.Content-Type`).
pub struct Headers<R> {
    map: HeaderMap,
    rule: PhantomData<R>,
}

/// Headers a caller adds to any request: valid names and values, none the signer or the
/// HTTP client writes but `x-amz-content-sha256` with a streaming value, which chooses how the
/// body is sent ([`validate::request_header`]).
pub type RequestHeaders = Headers<AnyRequest>;

/// Headers of a new object: those of [`RequestHeaders`] that S3's PutObject takes
/// ([`validate::put_object_header`]).
pub type PutObjectHeaders = Headers<PutObject>;

/// The rule of [`RequestHeaders`].
pub struct AnyRequest;

impl HeaderRule for AnyRequest {
    fn check(field: &str, name: &str, value: &str) -> Result<()> {
        validate::request_header(field, name, value)
    }
}

/// The rule of [`PutObjectHeaders`].
pub struct PutObject;

impl HeaderRule for PutObject {
    fn check(field: &str, name: &str, value: &str) -> Result<()> {
        validate::put_object_header(field, name, value)
    }
}

impl<R> Headers<R> {
    /// The headers, as they are sent.
    pub fn as_map(&self) -> &HeaderMap {
        &self.map
    }

    /// The headers, owned.
    pub fn into_map(self) -> HeaderMap {
        self.map
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl<R> Default for Headers<R> {
    fn default() -> Self {
        Headers {
            map: HeaderMap::new(),
            rule: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Headers<R> {
    /// The names only: a value may carry a key (SSE-C).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.map.keys().map(HeaderName::as_str))
            .finish()
    }
}

impl<R> serde::Serialize for Headers<R> {
    /// As an object of names and values again (a value that is not text as an empty string),
    /// so a schema can show the default (`{}`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.map.len()))?;
        for (name, value) in &self.map {
            map.serialize_entry(name.as_str(), value.to_str().unwrap_or_default())?;
        }
        map.end()
    }
}

impl<'de, R: HeaderRule> serde::Deserialize<'de> for Headers<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeadersVisitor(PhantomData))
    }
}

struct HeadersVisitor<R>(PhantomData<R>);

impl<'de, R: HeaderRule> Visitor<'de> for HeadersVisitor<R> {
    type Value = Headers<R>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object of header names and values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Headers<R>, A::Error> {
        let mut headers = Headers::default();
        while let Some(name) = entries.next_key::<String>()? {
            // Read through a seed that knows the name, so that a refusal is an error of this
            // entry (`headers.NAME`), not of the whole object.
            let (name, value) = entries.next_value_seed(OneHeader::<R> {
                name,
                rule: PhantomData,
            })?;
            headers.map.append(name, value);
        }
        Ok(headers)
    }
}

/// The value of header `name`, checked with it.
struct OneHeader<R> {
    name: String,
    rule: PhantomData<R>,
}

impl<'de, R: HeaderRule> DeserializeSeed<'de> for OneHeader<R> {
    type Value = (HeaderName, HeaderValue);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let value = <String as serde::Deserialize>::deserialize(deserializer)?;
        let field = format!("headers.{}", self.name);
        R::check(&field, &self.name, &value).map_err(|err| D::Error::custom(err.message()))?;
        let not_http = || D::Error::custom("HTTP does not allow this header");
        let name = HeaderName::from_bytes(self.name.as_bytes()).map_err(|_| not_http())?;
        let value = HeaderValue::from_str(&value).map_err(|_| not_http())?;
        Ok((name, value))
    }
}

impl<R> schemars::JsonSchema for Headers<R> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<String, String>>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, String>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::input;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Input {
        #[serde(default)]
        headers: PutObjectHeaders,
    }

    #[test]
    fn headers_are_checked_while_read_and_kept_as_sent() {
        let read: Input = input::read(
            json!({"headers": {"Cache-Control": "no-cache", "x-amz-meta-A": "1"}}),
            "invalid input",
        )
        .unwrap();
        let sent: Vec<(&str, &str)> = read
            .headers
            .as_map()
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
            .collect();
        assert_eq!(sent, [("cache-control", "no-cache"), ("x-amz-meta-a", "1")]);
        assert_eq!(
            format!("{:?}", read.headers),
            r#"["cache-control", "x-amz-meta-a"]"#
        );

        for (headers, field, words) in [
            (
                json!({"Content-MD5": "x"}),
                "headers.Content-MD5",
                "computed",
            ),
            (
                json!({"X-Amz-Date": "x"}),
                "headers.X-Amz-Date",
                "remove X-Amz-Date",
            ),
            (
                json!({"x-amz-meta-n": "a\nb"}),
                "headers.x-amz-meta-n",
                "control",
            ),
            (
                json!({"Bad Name": "x"}),
                "headers.Bad Name",
                "not a valid header name",
            ),
        ] {
            let err =
                input::read::<Input, _>(json!({"headers": headers}), "invalid input").unwrap_err();
            assert_eq!(err.field(), Some(field));
            assert!(err.message().contains(words), "{}", err.message());
        }
        let err =
            input::read::<Input, _>(json!({"headers": {"a": 1}}), "invalid input").unwrap_err();
        assert_eq!(err.field(), Some("headers.a"));
    }
}
