//! File content given as base64 text.

use crate::error::{Error, Result};
use crate::framework::validate;
use base64::Engine as _;

/// Binary content given as base64 (the standard alphabet; spaces and line breaks anywhere
/// are ignored), decoded once, while the input is read.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Base64Bytes(Vec<u8>);

impl Base64Bytes {
    /// Decodes `text`. Out of an input, the error names the field `base64`.
    pub fn decode(text: &str) -> Result<Self> {
        let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map(Base64Bytes)
            .map_err(|err| Error::invalid_input("base64", format!("not valid base64: {err}")))
    }

    /// The content.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The content, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<String> for Base64Bytes {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        Base64Bytes::decode(&text)
    }
}

impl serde::Serialize for Base64Bytes {
    /// As base64 text again (the standard alphabet, padded, on one line), so that a schema
    /// can show a field's default and the content can be given back as it was taken.
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl std::fmt::Debug for Base64Bytes {
    /// The size only: the content may be large, or private.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64Bytes({} bytes)", self.0.len())
    }
}

impl schemars::JsonSchema for Base64Bytes {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Base64Bytes".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::framework::types::rules::string_with(validate::schema::base64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decoded_while_read() {
        let content: Base64Bytes = serde_json::from_value(json!("aGVs\nbG8=")).unwrap();
        assert_eq!(content.as_bytes(), b"hello");
        assert_eq!(format!("{content:?}"), "Base64Bytes(5 bytes)");
        assert_eq!(serde_json::to_value(&content).unwrap(), json!("aGVsbG8="));
        let err = serde_json::from_value::<Base64Bytes>(json!("a===")).unwrap_err();
        assert!(err.to_string().starts_with("not valid base64"), "{err}");
    }
}
