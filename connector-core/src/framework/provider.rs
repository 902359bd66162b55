//! Which store a connection talks to ([`Provider`]), and the defaults each one brings: where
//! its endpoint is, the region it signs for, how buckets appear in URLs, and how uploads carry
//! their checksums. A connection's own fields always win over these defaults.

use crate::wire::endpoint::AddressingStyle;
use crate::wire::payload::{ChecksumPolicy, ChecksumSettings};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The S3 service or S3-compatible store a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Amazon S3: the endpoint of the connection's region.
    Aws,
    /// Cloudflare R2: `https://ACCOUNT_ID.r2.cloudflarestorage.com` from the connection's
    /// `account_id`, region `auto`, path-style URLs; checksums in headers (R2 refuses
    /// aws-chunked bodies), composite multipart checksums.
    R2,
    /// MinIO at the connection's endpoint URL, path-style URLs.
    Minio,
    /// Garage at the connection's endpoint URL, path-style URLs, composite multipart checksums.
    Garage,
    /// Backblaze B2: `https://s3.REGION.backblazeb2.com`; no flexible checksums (B2 refuses
    /// them).
    B2,
    /// Wasabi: `https://s3.REGION.wasabisys.com`, path-style URLs; no flexible checksums.
    Wasabi,
    /// Another S3-compatible store at the connection's endpoint URL. Uploads send flexible
    /// checksums until the store refuses one, then go on without them.
    Other,
}

impl Provider {
    /// Every provider, in the order a form lists them.
    pub const ALL: [Provider; 7] = [
        Provider::Aws,
        Provider::R2,
        Provider::Minio,
        Provider::Garage,
        Provider::B2,
        Provider::Wasabi,
        Provider::Other,
    ];

    /// The value a connection's `provider` field holds (`aws`, `r2`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::R2 => "r2",
            Provider::Minio => "minio",
            Provider::Garage => "garage",
            Provider::B2 => "b2",
            Provider::Wasabi => "wasabi",
            Provider::Other => "other",
        }
    }

    /// The name a person knows it by.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Aws => "Amazon S3",
            Provider::R2 => "Cloudflare R2",
            Provider::Minio => "MinIO",
            Provider::Garage => "Garage",
            Provider::B2 => "Backblaze B2",
            Provider::Wasabi => "Wasabi",
            Provider::Other => "Other S3-compatible store",
        }
    }

    /// The provider of a connection that names none: Amazon S3 without an endpoint URL,
    /// another store with one.
    pub fn implied(has_endpoint_url: bool) -> Self {
        if has_endpoint_url {
            Provider::Other
        } else {
            Provider::Aws
        }
    }

    /// Whether the store is reached only at an endpoint URL the connection gives (it has no
    /// URL of its own to fill in).
    pub fn needs_endpoint_url(self) -> bool {
        matches!(self, Provider::Minio | Provider::Garage | Provider::Other)
    }

    /// The region requests are signed for unless the connection names one: R2's `auto`.
    pub fn default_region(self) -> Option<&'static str> {
        match self {
            Provider::R2 => Some("auto"),
            _ => None,
        }
    }

    /// How buckets appear in URLs unless the connection chooses (`auto` there): path style
    /// where the store wants it.
    pub fn addressing_style(self) -> AddressingStyle {
        match self {
            Provider::R2 | Provider::Wasabi | Provider::Minio | Provider::Garage => {
                AddressingStyle::Path
            }
            Provider::Aws | Provider::B2 | Provider::Other => AddressingStyle::Auto,
        }
    }

    /// How uploads carry checksums on this store, before the connection's own choices.
    pub fn checksum_settings(self) -> ChecksumSettings {
        let defaults = ChecksumSettings::default();
        match self {
            Provider::Aws | Provider::Minio => defaults,
            Provider::R2 => ChecksumSettings {
                streaming: false,
                full_object_multipart: false,
                ..defaults
            },
            Provider::Garage => ChecksumSettings {
                full_object_multipart: false,
                ..defaults
            },
            Provider::B2 | Provider::Wasabi => ChecksumSettings {
                policy: ChecksumPolicy::WhenRequired,
                ..defaults
            },
            Provider::Other => ChecksumSettings {
                downgrade_when_refused: true,
                ..defaults
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_labels() {
        for provider in Provider::ALL {
            let json = serde_json::to_value(provider).unwrap();
            assert_eq!(json, provider.as_str());
            assert_eq!(serde_json::from_value::<Provider>(json).unwrap(), provider);
            assert!(!provider.label().is_empty());
        }
        assert_eq!(Provider::implied(false), Provider::Aws);
        assert_eq!(Provider::implied(true), Provider::Other);
    }

    #[test]
    fn only_unnamed_stores_downgrade_on_their_own() {
        for provider in Provider::ALL {
            assert_eq!(
                provider.checksum_settings().downgrade_when_refused,
                provider == Provider::Other,
                "{provider:?}"
            );
        }
    }
}
