//! How uploads carry their checksum: a connection's settings ([`ChecksumSettings`]) and, from
//! them, the form each upload's body takes ([`ChecksumSettings::upload_payload`]).

use crate::wire::checksum::{ChecksumAlgorithm, ChecksumType};
use crate::wire::chunked::{ChunkedMode, DEFAULT_CHUNK_SIZE};
use crate::wire::request::PayloadChecksum;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When uploads send a flexible checksum (`x-amz-checksum-*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumPolicy {
    /// Every upload sends one (CRC32C unless another algorithm is chosen), computed while the
    /// bytes are sent, and downloads ask for the stored one to check against. Amazon S3 and
    /// current S3-compatible stores take this.
    #[default]
    WhenSupported,
    /// Only where S3 requires a checksum (Content-MD5 on batch deletes and bucket settings), and
    /// when an upload asks for an algorithm itself. For stores that refuse the `x-amz-checksum-*`
    /// headers (Backblaze B2, older MinIO).
    WhenRequired,
}

/// Whether the bytes of a streamed upload are signed chunk by chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayloadSigning {
    /// Unsigned over HTTPS (TLS already protects the bytes; the checksum in the trailer is
    /// still checked by S3), signed chunk by chunk over plain HTTP. What the AWS SDKs do.
    #[default]
    Auto,
    /// Every chunk signed, also over HTTPS (costs a SHA-256 of every byte).
    Signed,
    /// No chunk signed, also over plain HTTP (the checksum alone guards the bytes).
    Unsigned,
}

/// How a client's uploads are checksummed and framed. The defaults fit Amazon S3; a
/// connection's provider preset or its own fields change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksumSettings {
    /// When a checksum is sent.
    pub policy: ChecksumPolicy,
    /// The algorithm used unless an upload names another (default CRC32C).
    pub algorithm: ChecksumAlgorithm,
    /// Whether streamed chunks are signed.
    pub payload_signing: PayloadSigning,
    /// Whether the store takes aws-chunked bodies (`Content-Encoding: aws-chunked`). Without it,
    /// a checksum goes in a header computed before the body is sent (Cloudflare R2).
    pub streaming: bool,
    /// Whether a multipart upload with CRC32 or CRC32C asks for a `FULL_OBJECT` checksum (the
    /// CRC of the whole object, which a download can check however it splits the object) rather
    /// than a `COMPOSITE` one (the CRC of the parts' CRCs). Amazon S3 and MinIO take both;
    /// some stores only composite. CRC64NVME is always full-object, SHA-1 and SHA-256 always
    /// composite.
    pub full_object_multipart: bool,
    /// Whether a store that refuses a flexible checksum (`x-amz-checksum-*`, aws-chunked) gets
    /// the refused request again without one, and every later one without one too (the
    /// `when_required` way). On for a connection to an unnamed S3-compatible store (provider
    /// `other`) that did not choose its `checksum_policy`.
    pub downgrade_when_refused: bool,
}

impl Default for ChecksumSettings {
    fn default() -> Self {
        ChecksumSettings {
            policy: ChecksumPolicy::WhenSupported,
            algorithm: ChecksumAlgorithm::Crc32c,
            payload_signing: PayloadSigning::Auto,
            streaming: true,
            full_object_multipart: true,
            downgrade_when_refused: false,
        }
    }
}

/// What an upload's body is, as far as choosing its form goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySource {
    /// Bytes held in memory (small bodies, text, stdin read in parts): hashing them before
    /// sending costs no extra read.
    Memory,
    /// A file (or a part of one) streamed from disk: hashed while it is sent.
    File,
}

impl ChecksumSettings {
    /// The algorithm an upload uses: the one it `asked` for, else the settings' one when the
    /// policy sends checksums, else none.
    pub fn algorithm_for(&self, asked: Option<ChecksumAlgorithm>) -> Option<ChecksumAlgorithm> {
        match (asked, self.policy) {
            (Some(algorithm), _) => Some(algorithm),
            (None, ChecksumPolicy::WhenSupported) => Some(self.algorithm),
            (None, ChecksumPolicy::WhenRequired) => None,
        }
    }

    /// The form of an upload's body (a PutObject or an UploadPart) with the checksum `asked`
    /// for, if any: `None` sends it as before any of this (SHA-256 signed, no checksum header).
    /// A file goes aws-chunked with the checksum in a trailer, hashed while it is sent, when the
    /// store takes that; bytes in memory (and every body on a store without aws-chunked) carry
    /// the checksum in a header. `https` says whether the endpoint is HTTPS (where
    /// [`PayloadSigning::Auto`] leaves the chunks unsigned).
    pub fn upload_payload(
        &self,
        asked: Option<ChecksumAlgorithm>,
        source: BodySource,
        https: bool,
    ) -> Option<PayloadChecksum> {
        let algorithm = self.algorithm_for(asked)?;
        if source == BodySource::Memory || !self.streaming {
            return Some(PayloadChecksum::Header(algorithm));
        }
        let signed = match self.payload_signing {
            PayloadSigning::Auto => !https,
            PayloadSigning::Signed => true,
            PayloadSigning::Unsigned => false,
        };
        let mode = if signed {
            ChunkedMode::SignedWithTrailer
        } else {
            ChunkedMode::UnsignedWithTrailer
        };
        Some(PayloadChecksum::Chunked {
            algorithm,
            mode,
            chunk_size: DEFAULT_CHUNK_SIZE,
        })
    }

    /// The checksum type a multipart upload with `algorithm` asks for in
    /// CreateMultipartUpload.
    pub fn multipart_type(&self, algorithm: ChecksumAlgorithm) -> ChecksumType {
        match algorithm {
            ChecksumAlgorithm::Crc64Nvme => ChecksumType::FullObject,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c if self.full_object_multipart => {
                ChecksumType::FullObject
            }
            _ => ChecksumType::Composite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_stream_with_a_trailer_signed_only_over_plain_http() {
        let settings = ChecksumSettings::default();
        let over = |https| settings.upload_payload(None, BodySource::File, https);
        assert_eq!(
            over(true),
            Some(PayloadChecksum::chunked(
                ChecksumAlgorithm::Crc32c,
                ChunkedMode::UnsignedWithTrailer
            ))
        );
        assert_eq!(
            over(false),
            Some(PayloadChecksum::chunked(
                ChecksumAlgorithm::Crc32c,
                ChunkedMode::SignedWithTrailer
            ))
        );
        let signed = ChecksumSettings {
            payload_signing: PayloadSigning::Signed,
            ..settings
        };
        assert_eq!(
            signed.upload_payload(None, BodySource::File, true),
            Some(PayloadChecksum::chunked(
                ChecksumAlgorithm::Crc32c,
                ChunkedMode::SignedWithTrailer
            ))
        );
        let unsigned = ChecksumSettings {
            payload_signing: PayloadSigning::Unsigned,
            ..settings
        };
        assert_eq!(
            unsigned.upload_payload(Some(ChecksumAlgorithm::Sha1), BodySource::File, false),
            Some(PayloadChecksum::chunked(
                ChecksumAlgorithm::Sha1,
                ChunkedMode::UnsignedWithTrailer
            ))
        );
    }

    #[test]
    fn memory_bodies_and_stores_without_streaming_use_a_header() {
        let settings = ChecksumSettings::default();
        assert_eq!(
            settings.upload_payload(None, BodySource::Memory, true),
            Some(PayloadChecksum::Header(ChecksumAlgorithm::Crc32c))
        );
        let r2 = ChecksumSettings {
            streaming: false,
            ..settings
        };
        assert_eq!(
            r2.upload_payload(Some(ChecksumAlgorithm::Crc64Nvme), BodySource::File, true),
            Some(PayloadChecksum::Header(ChecksumAlgorithm::Crc64Nvme))
        );
    }

    #[test]
    fn when_required_sends_a_checksum_only_when_asked() {
        let settings = ChecksumSettings {
            policy: ChecksumPolicy::WhenRequired,
            ..ChecksumSettings::default()
        };
        assert_eq!(settings.upload_payload(None, BodySource::File, true), None);
        assert_eq!(settings.algorithm_for(None), None);
        assert_eq!(
            settings.upload_payload(Some(ChecksumAlgorithm::Crc32), BodySource::Memory, true),
            Some(PayloadChecksum::Header(ChecksumAlgorithm::Crc32))
        );
    }

    #[test]
    fn multipart_types_follow_what_each_algorithm_allows() {
        let full = ChecksumSettings::default();
        let composite = ChecksumSettings {
            full_object_multipart: false,
            ..full
        };
        for settings in [full, composite] {
            for algorithm in ChecksumAlgorithm::ALL {
                assert!(algorithm.allows(settings.multipart_type(algorithm)));
            }
            assert_eq!(
                settings.multipart_type(ChecksumAlgorithm::Crc64Nvme),
                ChecksumType::FullObject
            );
            assert_eq!(
                settings.multipart_type(ChecksumAlgorithm::Sha256),
                ChecksumType::Composite
            );
        }
        assert_eq!(
            full.multipart_type(ChecksumAlgorithm::Crc32c),
            ChecksumType::FullObject
        );
        assert_eq!(
            composite.multipart_type(ChecksumAlgorithm::Crc32c),
            ChecksumType::Composite
        );
    }
}
