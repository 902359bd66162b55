//! S3's canned ACLs, as a choice for forms.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A canned access control list (`x-amz-acl`). Buckets created since April 2023 have ACLs
/// disabled ("bucket owner enforced"): there, only `private` (or no ACL) is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CannedAcl {
    /// Only the owner has access.
    Private,
    /// Anyone can read.
    PublicRead,
    /// Anyone can read and write.
    PublicReadWrite,
    /// Any AWS account can read.
    AuthenticatedRead,
    /// EC2 can read (for AMI bundles).
    AwsExecRead,
    /// The bucket owner can read.
    BucketOwnerRead,
    /// The bucket owner has full control.
    BucketOwnerFullControl,
}

impl CannedAcl {
    /// The header value, e.g. `public-read`.
    pub fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
            CannedAcl::AwsExecRead => "aws-exec-read",
            CannedAcl::BucketOwnerRead => "bucket-owner-read",
            CannedAcl::BucketOwnerFullControl => "bucket-owner-full-control",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for acl in [
            CannedAcl::Private,
            CannedAcl::PublicRead,
            CannedAcl::BucketOwnerFullControl,
        ] {
            assert_eq!(serde_json::to_value(acl).unwrap(), acl.as_str());
        }
    }
}
