//! Values of module inputs that check themselves while they are read: a [`BucketName`], an
//! [`ObjectKey`], a [`Region`], [`Base64Bytes`] (decoded once, as they are read), … A module's
//! input type uses them in place of `String` and a check in `Module::validate`: once the
//! input is read, its values are known to be good.
//!
//! Each type refuses a bad value with the words of the rule it breaks; the registry names the
//! field the value was given in (`destination_bucket`, `keys.3`). Each carries its JSON Schema
//! too (the same rule as keywords), which lands in the schema of every field of that type:
//! see [`rules`].

/// A text type checked by `$check` (a function of [`validate`](crate::framework::validate)
/// taking the field and the text) whose schema rules are added by `$schema` (a function of
/// [`validate::schema`](crate::framework::validate::schema)); `$field` is the field its own
/// errors name when it is made outside of an input.
macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, field: $field:literal, check: $check:expr, schema: $schema:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::Error;

            /// Checks `text`. Out of an input, the error names the field
            #[doc = concat!("`", $field, "`.")]
            fn try_from(text: String) -> Result<Self, Self::Error> {
                let check: fn(&str, &str) -> $crate::error::Result<()> = $check;
                check($field, &text)?;
                Ok($name(text))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::error::Error;

            /// Checks `text` (see the conversion from `String`).
            fn try_from(text: &str) -> Result<Self, Self::Error> {
                Self::try_from(text.to_owned())
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl From<&$name> for String {
            fn from(value: &$name) -> String {
                value.0.clone()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::framework::types::rules::string_with($schema)
            }
        }
    };
}

pub mod bucket;
pub mod content;
pub mod headers;
pub mod key;
pub mod region;
pub mod rules;
pub mod text;

pub use bucket::{BucketName, NewBucketName};
pub use content::Base64Bytes;
pub use headers::{PutObjectHeaders, RequestHeaders};
pub use key::{Folder, ObjectKey, Prefix};
pub use region::Region;
pub use text::{ContinuationToken, VersionId};
