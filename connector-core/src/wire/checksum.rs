//! S3's flexible checksums: the algorithms a request may carry in `x-amz-checksum-*`
//! (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256), computed while the bytes pass by.
//!
//! A value is the standard (padded) base64 of the digest's bytes, CRCs big-endian. A multipart
//! object has one of two kinds of whole-object value ([`ChecksumType`]):
//! - **full object**: the CRC of all the bytes, as if sent in one piece. Parts hashed apart (in
//!   parallel, or ranges of a download) give it by [`Digest::combine`], without reading a byte
//!   again. CRCs only.
//! - **composite**: the algorithm over the concatenated raw digests of the parts, in part order,
//!   written with the number of parts: `"b64-3"` ([`Checksum::composite`]).
//!
//! The CRCs are computed by `crc-fast` (SIMD carry-less multiplication where the CPU has it), the
//! SHAs by RustCrypto's `sha1` and `sha2`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::fmt;

/// A checksum algorithm S3 takes in `x-amz-checksum-*` headers (and the
/// `x-amz-sdk-checksum-algorithm`/`x-amz-checksum-algorithm` headers naming it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (the one of zip and Ethernet). Full-object or composite.
    #[serde(rename = "CRC32")]
    Crc32,
    /// CRC-32C (Castagnoli), computed by the CPU's own instructions. Full-object or composite.
    #[serde(rename = "CRC32C")]
    Crc32c,
    /// CRC-64/NVME. Full-object only.
    #[serde(rename = "CRC64NVME")]
    Crc64Nvme,
    /// SHA-1. Composite only for multipart uploads.
    #[serde(rename = "SHA1")]
    Sha1,
    /// SHA-256. Composite only for multipart uploads.
    #[serde(rename = "SHA256")]
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in the order S3's documentation lists them.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The name as S3 spells it in headers and XML: `CRC32C`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The algorithm S3 calls `name` (`CRC32C`, any case), or `None`: S3 also knows algorithms
    /// the connector does not compute (`SHA512`, `MD5`, `XXHASH64`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(name))
    }

    /// The header carrying a value of this algorithm: `x-amz-checksum-crc32c`.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm whose value header is `name` (`x-amz-checksum-crc32c`, any case), or `None`
    /// (also for `x-amz-checksum-type`, `x-amz-checksum-mode` and algorithms not computed here).
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|algorithm| algorithm.header_name().eq_ignore_ascii_case(name))
    }

    /// The element of a part (CompleteMultipartUpload, UploadPart answers) or of a result that
    /// holds a value of this algorithm: `ChecksumCRC32C`.
    pub fn xml_element(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "ChecksumCRC32",
            ChecksumAlgorithm::Crc32c => "ChecksumCRC32C",
            ChecksumAlgorithm::Crc64Nvme => "ChecksumCRC64NVME",
            ChecksumAlgorithm::Sha1 => "ChecksumSHA1",
            ChecksumAlgorithm::Sha256 => "ChecksumSHA256",
        }
    }

    /// How many bytes a digest of this algorithm has (4, 8, 20 or 32).
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// Whether this is a CRC: CRCs of consecutive pieces [combine](Digest::combine) into the
    /// CRC of the whole.
    pub fn is_crc(self) -> bool {
        self.crc().is_some()
    }

    /// Whether a multipart upload with this algorithm may have `kind`: CRC32 and CRC32C take
    /// both, CRC64NVME only full-object, the SHAs only composite. S3 refuses the other pairs
    /// (`InvalidRequest`: "The COMPOSITE checksum type cannot be used with the crc64nvme
    /// checksum algorithm.").
    pub fn allows(self, kind: ChecksumType) -> bool {
        match kind {
            ChecksumType::FullObject => self.is_crc(),
            ChecksumType::Composite => self != ChecksumAlgorithm::Crc64Nvme,
        }
    }

    /// The type S3 gives a multipart upload created with this algorithm and no
    /// `x-amz-checksum-type`: full-object for CRC64NVME, composite for the others.
    pub fn default_type(self) -> ChecksumType {
        if self == ChecksumAlgorithm::Crc64Nvme {
            ChecksumType::FullObject
        } else {
            ChecksumType::Composite
        }
    }

    /// The crc-fast algorithm, for the CRCs.
    fn crc(self) -> Option<crc_fast::CrcAlgorithm> {
        match self {
            ChecksumAlgorithm::Crc32 => Some(crc_fast::CrcAlgorithm::Crc32IsoHdlc),
            ChecksumAlgorithm::Crc32c => Some(crc_fast::CrcAlgorithm::Crc32Iscsi),
            ChecksumAlgorithm::Crc64Nvme => Some(crc_fast::CrcAlgorithm::Crc64Nvme),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => None,
        }
    }

    /// A hasher of this algorithm, at the start.
    pub fn hasher(self) -> Hasher {
        Hasher::new(self)
    }

    /// The digest of `bytes` in one call.
    pub fn digest(self, bytes: &[u8]) -> Digest {
        let mut hasher = self.hasher();
        hasher.update(bytes);
        hasher.finish()
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a multipart object's checksum is made (`x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ChecksumType {
    /// The algorithm over the parts' digests, written `value-N` (N parts). A download can check
    /// it only part by part.
    #[serde(rename = "COMPOSITE")]
    Composite,
    /// The CRC of the whole object's bytes, whatever the parts were.
    #[serde(rename = "FULL_OBJECT")]
    FullObject,
}

impl ChecksumType {
    /// The header and XML value: `COMPOSITE` or `FULL_OBJECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }

    /// The type S3 calls `name` (any case), or `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        [ChecksumType::Composite, ChecksumType::FullObject]
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for ChecksumType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Computes one algorithm's digest over bytes given in pieces, in order.
#[derive(Clone)]
pub struct Hasher {
    state: HashState,
    len: u64,
}

#[derive(Clone)]
enum HashState {
    Crc(ChecksumAlgorithm, crc_fast::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// A hasher of `algorithm`, at the start.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match (algorithm, algorithm.crc()) {
            (_, Some(crc)) => HashState::Crc(algorithm, crc_fast::Digest::new(crc)),
            (ChecksumAlgorithm::Sha1, None) => HashState::Sha1(sha1::Sha1::new()),
            (_, None) => HashState::Sha256(sha2::Sha256::new()),
        };
        Hasher { state, len: 0 }
    }

    /// The algorithm computed.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match &self.state {
            HashState::Crc(algorithm, _) => *algorithm,
            HashState::Sha1(_) => ChecksumAlgorithm::Sha1,
            HashState::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Adds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.state {
            HashState::Crc(_, digest) => digest.update(bytes),
            HashState::Sha1(digest) => digest.update(bytes),
            HashState::Sha256(digest) => digest.update(bytes),
        }
        self.len += bytes.len() as u64;
    }

    /// How many bytes have been added.
    pub fn body_len(&self) -> u64 {
        self.len
    }

    /// The digest of every byte added.
    pub fn finish(self) -> Digest {
        let algorithm = self.algorithm();
        let mut bytes = [0; MAX_DIGEST_LEN];
        match self.state {
            HashState::Crc(_, digest) => {
                let len = algorithm.digest_len();
                bytes[..len].copy_from_slice(&digest.finalize().to_be_bytes()[8 - len..]);
            }
            HashState::Sha1(digest) => bytes[..20].copy_from_slice(&digest.finalize()),
            HashState::Sha256(digest) => bytes.copy_from_slice(&digest.finalize()),
        }
        Digest {
            algorithm,
            bytes,
            body_len: self.len,
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("algorithm", &self.algorithm())
            .field("body_len", &self.len)
            .finish()
    }
}

/// The longest digest (SHA-256).
const MAX_DIGEST_LEN: usize = 32;

/// The digest of some bytes (a whole body, a part, a range), with how many bytes it covers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    algorithm: ChecksumAlgorithm,
    bytes: [u8; MAX_DIGEST_LEN],
    body_len: u64,
}

impl Digest {
    /// The digest `bytes` of `algorithm` over `body_len` bytes (a value S3 answered for a part
    /// whose size is known), or `None` when `bytes` is not a digest of that length.
    pub fn from_bytes(algorithm: ChecksumAlgorithm, bytes: &[u8], body_len: u64) -> Option<Self> {
        if bytes.len() != algorithm.digest_len() {
            return None;
        }
        let mut stored = [0; MAX_DIGEST_LEN];
        stored[..bytes.len()].copy_from_slice(bytes);
        Some(Digest {
            algorithm,
            bytes: stored,
            body_len,
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The digest's bytes (a CRC big-endian).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.algorithm.digest_len()]
    }

    /// How many bytes of body the digest covers.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    /// The value as S3 writes it: standard base64 of the bytes (`4waSgw==`).
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.as_bytes())
    }

    /// The CRC of this digest's bytes followed by `next`'s: how the CRCs of parts hashed apart
    /// make the full-object CRC. `None` for a SHA (SHAs do not combine) or when `next` is of
    /// another algorithm.
    pub fn combine(&self, next: &Digest) -> Option<Digest> {
        let crc = self.algorithm.crc()?;
        if next.algorithm != self.algorithm {
            return None;
        }
        let len = self.algorithm.digest_len();
        let value = |digest: &Digest| {
            let mut be = [0; 8];
            be[8 - len..].copy_from_slice(digest.as_bytes());
            u64::from_be_bytes(be)
        };
        let combined = crc_fast::checksum_combine(crc, value(self), value(next), next.body_len);
        Digest::from_bytes(
            self.algorithm,
            &combined.to_be_bytes()[8 - len..],
            self.body_len + next.body_len,
        )
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} ({} bytes)",
            self.algorithm,
            self.to_base64(),
            self.body_len
        )
    }
}

/// A whole object's checksum value as S3 answers it (`x-amz-checksum-crc32c`, the
/// `ChecksumCRC32C` element): a digest, and for a composite value the number of parts
/// (`"rVWt…ivc=-3"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    bytes: [u8; MAX_DIGEST_LEN],
    parts: Option<u32>,
}

impl Checksum {
    /// The value of a whole body hashed in one piece, or of a full-object multipart upload.
    pub fn full_object(digest: &Digest) -> Self {
        Checksum {
            algorithm: digest.algorithm,
            bytes: digest.bytes,
            parts: None,
        }
    }

    /// The composite value of a multipart upload with these parts (in part order): the
    /// algorithm over their concatenated raw digests, counted. `None` when there are no parts or
    /// a part is of another algorithm than `algorithm`.
    pub fn composite(algorithm: ChecksumAlgorithm, parts: &[Digest]) -> Option<Self> {
        if parts.is_empty() || parts.iter().any(|part| part.algorithm != algorithm) {
            return None;
        }
        let mut hasher = algorithm.hasher();
        for part in parts {
            hasher.update(part.as_bytes());
        }
        Some(Checksum {
            algorithm,
            bytes: hasher.finish().bytes,
            parts: Some(u32::try_from(parts.len()).ok()?),
        })
    }

    /// Reads a value S3 answered for `algorithm`: base64, with `-N` (N ≥ 1) for a composite one.
    /// A value that is not base64 of a digest of the algorithm's length is refused: it cannot
    /// be checked against anything.
    pub fn parse(algorithm: ChecksumAlgorithm, value: &str) -> Result<Self, InvalidChecksum> {
        let invalid = |reason: String| InvalidChecksum {
            algorithm,
            value: value.to_owned(),
            reason,
        };
        let (encoded, parts) = match value.trim().rsplit_once('-') {
            Some((encoded, count)) => {
                let parts = count
                    .parse::<u32>()
                    .ok()
                    .filter(|parts| *parts >= 1 && count.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        invalid("the part count after `-` is not a number from 1".into())
                    })?;
                (encoded, Some(parts))
            }
            None => (value.trim(), None),
        };
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| invalid("it is not standard base64".into()))?;
        if bytes.len() != algorithm.digest_len() {
            return Err(invalid(format!(
                "a {algorithm} value has {} bytes, this one has {}",
                algorithm.digest_len(),
                bytes.len()
            )));
        }
        let mut stored = [0; MAX_DIGEST_LEN];
        stored[..bytes.len()].copy_from_slice(&bytes);
        Ok(Checksum {
            algorithm,
            bytes: stored,
            parts,
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The digest's bytes (of the object for a full-object value, of the part digests for a
    /// composite one).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.algorithm.digest_len()]
    }

    /// The number of parts of a composite value; `None` for a full-object one.
    pub fn parts(&self) -> Option<u32> {
        self.parts
    }

    /// Composite when the value counts parts, else full-object.
    pub fn kind(&self) -> ChecksumType {
        match self.parts {
            Some(_) => ChecksumType::Composite,
            None => ChecksumType::FullObject,
        }
    }

    /// The base64 of the digest, without any `-N` (the form a request header carries).
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.as_bytes())
    }
}

impl fmt::Display for Checksum {
    /// The value as S3 answers it: `4waSgw==` or `rVWt…ivc=-3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())?;
        if let Some(parts) = self.parts {
            write!(f, "-{parts}")?;
        }
        Ok(())
    }
}

/// A checksum value that is not one: it cannot be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {algorithm} checksum {value:?} cannot be read: {reason}")]
pub struct InvalidChecksum {
    /// The algorithm the value was for.
    pub algorithm: ChecksumAlgorithm,
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChecksumAlgorithm::{Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};

    fn b64(algorithm: ChecksumAlgorithm, bytes: &[u8]) -> String {
        algorithm.digest(bytes).to_base64()
    }

    /// The CRC catalogue's check values (reveng.sourceforge.io, "check" = CRC of "123456789"),
    /// written as S3 does (base64 of the big-endian value); the SHAs from Python's hashlib.
    #[test]
    fn check_values_of_123456789() {
        let check = b"123456789";
        assert_eq!(
            Crc32.digest(check).as_bytes(),
            0xcbf4_3926_u32.to_be_bytes()
        );
        assert_eq!(
            Crc32c.digest(check).as_bytes(),
            0xe306_9283_u32.to_be_bytes()
        );
        assert_eq!(
            Crc64Nvme.digest(check).as_bytes(),
            0xae8b_1486_0a79_9888_u64.to_be_bytes()
        );
        assert_eq!(b64(Crc32, check), "y/Q5Jg==");
        assert_eq!(b64(Crc32c, check), "4waSgw==");
        assert_eq!(b64(Crc64Nvme, check), "rosUhgp5mIg=");
        assert_eq!(b64(Sha1, check), "98O8HYCOBHMq32eZZczDTKeuNEE=");
        assert_eq!(
            b64(Sha256, check),
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="
        );
    }

    #[test]
    fn empty_body_values() {
        assert_eq!(b64(Crc32, b""), "AAAAAA==");
        assert_eq!(b64(Crc32c, b""), "AAAAAA==");
        assert_eq!(b64(Crc64Nvme, b""), "AAAAAAAAAAA=");
        assert_eq!(b64(Sha1, b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
        assert_eq!(
            b64(Sha256, b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    /// AWS's trailer example (sigv4-streaming-trailers.html): 66,560 bytes of `a`, trailer
    /// `x-amz-checksum-crc32c:sOO8/Q==`.
    #[test]
    fn aws_trailer_example_crc32c() {
        assert_eq!(b64(Crc32c, &[b'a'; 66_560]), "sOO8/Q==");
    }

    /// smithy-rs `aws/sdk/integration-tests/s3/tests/data/aws_chunked/chunk-signing.json`:
    /// 10,240 bytes of `a`, trailer `x-amz-checksum-crc32:X9RA0w==` (also Python's zlib).
    #[test]
    fn smithy_chunk_signing_crc32() {
        assert_eq!(b64(Crc32, &[b'a'; 10_240]), "X9RA0w==");
    }

    /// A reflected CRC computed bit by bit, as the catalogue defines it (init and xorout all
    /// ones): the reference crc-fast is compared with.
    fn bitwise_crc(algorithm: ChecksumAlgorithm, bytes: &[u8]) -> Vec<u8> {
        let (poly, width): (u64, u32) = match algorithm {
            Crc32 => (0xedb8_8320, 32),
            Crc32c => (0x82f6_3b78, 32),
            Crc64Nvme => (0x9a6c_9329_ac4b_c9b5, 64),
            Sha1 | Sha256 => unreachable!("not a CRC"),
        };
        let mask = if width == 64 {
            u64::MAX
        } else {
            (1 << width) - 1
        };
        let mut crc = mask;
        for byte in bytes {
            crc ^= u64::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ poly
                } else {
                    crc >> 1
                };
            }
        }
        let value = (crc ^ mask).to_be_bytes();
        value[8 - width as usize / 8..].to_vec()
    }

    #[test]
    fn bitwise_reference_has_the_check_values() {
        assert_eq!(
            bitwise_crc(Crc32, b"123456789"),
            0xcbf4_3926_u32.to_be_bytes()
        );
        assert_eq!(
            bitwise_crc(Crc32c, b"123456789"),
            0xe306_9283_u32.to_be_bytes()
        );
        assert_eq!(
            bitwise_crc(Crc64Nvme, b"123456789"),
            0xae8b_1486_0a79_9888_u64.to_be_bytes()
        );
    }

    /// crc-fast (SIMD paths switch on length and alignment) against the bitwise reference:
    /// random lengths 0..=5000 at unaligned offsets, fed in random pieces.
    #[test]
    fn crc_fast_matches_bitwise_reference_on_random_input() {
        let mut rng = fastrand::Rng::with_seed(0x5eed_c4c5);
        let mut buffer = vec![0u8; 5_100];
        rng.fill(&mut buffer);
        for round in 0..400 {
            let len = if round < 70 {
                round
            } else {
                rng.usize(0..=5_000)
            };
            let offset = rng.usize(0..=99);
            let bytes = &buffer[offset..offset + len];
            for algorithm in [Crc32, Crc32c, Crc64Nvme] {
                let expected = bitwise_crc(algorithm, bytes);
                assert_eq!(
                    algorithm.digest(bytes).as_bytes(),
                    expected,
                    "{algorithm} of {len} bytes at offset {offset}, one piece"
                );
                let mut hasher = algorithm.hasher();
                let mut rest = bytes;
                while !rest.is_empty() {
                    let take = rng.usize(0..=rest.len().min(700));
                    hasher.update(&rest[..take]);
                    rest = &rest[take..];
                }
                let digest = hasher.finish();
                assert_eq!(
                    digest.as_bytes(),
                    expected,
                    "{algorithm} of {len} bytes at offset {offset}, in pieces"
                );
                assert_eq!(digest.body_len(), len as u64);
            }
        }
    }

    /// Long inputs (the folding loops of the SIMD paths), unaligned, in uneven pieces.
    #[test]
    fn crc_fast_matches_bitwise_reference_on_long_input() {
        let mut rng = fastrand::Rng::with_seed(0x0010_f01d);
        let mut buffer = vec![0u8; (1 << 20) + 64];
        rng.fill(&mut buffer);
        for len in [65_536 + 13, 300_007, 1 << 20] {
            let offset = rng.usize(1..=63);
            let bytes = &buffer[offset..offset + len];
            for algorithm in [Crc32, Crc32c, Crc64Nvme] {
                let mut hasher = algorithm.hasher();
                let mut rest = bytes;
                for size in [65_537, 7, 4_096, 100_003, 255].into_iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (piece, after) = rest.split_at(size.min(rest.len()));
                    hasher.update(piece);
                    rest = after;
                }
                assert_eq!(
                    hasher.finish().as_bytes(),
                    bitwise_crc(algorithm, bytes),
                    "{algorithm} of {len} bytes"
                );
            }
        }
    }

    /// The SHAs fed in pieces give the one-piece digest.
    #[test]
    fn sha_in_pieces_equals_one_piece() {
        let bytes: Vec<u8> = (0..3_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for algorithm in [Sha1, Sha256] {
            let mut hasher = algorithm.hasher();
            for piece in bytes.chunks(77) {
                hasher.update(piece);
            }
            assert_eq!(hasher.finish(), algorithm.digest(&bytes));
        }
    }

    #[test]
    fn combined_crcs_equal_the_crc_of_the_whole() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut bytes = vec![0u8; 20_000];
        rng.fill(&mut bytes);
        for _ in 0..60 {
            let len = rng.usize(0..=bytes.len());
            let split = rng.usize(0..=len);
            let (a, b) = bytes[..len].split_at(split);
            for algorithm in [Crc32, Crc32c, Crc64Nvme] {
                let combined = algorithm
                    .digest(a)
                    .combine(&algorithm.digest(b))
                    .expect("CRCs combine");
                assert_eq!(
                    combined,
                    algorithm.digest(&bytes[..len]),
                    "{algorithm} {split}+{}",
                    len - split
                );
            }
        }
        // Several parts in order, as a multipart upload's full-object value is made.
        let parts: Vec<Digest> = bytes
            .chunks(5_000)
            .map(|part| Crc32c.digest(part))
            .collect();
        let whole = parts[1..]
            .iter()
            .try_fold(parts[0], |acc, part| acc.combine(part))
            .unwrap();
        assert_eq!(whole, Crc32c.digest(&bytes));
        // Python: base64(zlib.crc32(b"aaaaaThe quick brown fox jumps over the lazy dog"))
        let fox = b"The quick brown fox jumps over the lazy dog";
        let combined = Crc32.digest(b"aaaaa").combine(&Crc32.digest(fox)).unwrap();
        assert_eq!(combined.to_base64(), "EiOHPQ==");
    }

    /// A part's value as S3 answers it (base64, with the part's size known) combines like one
    /// hashed here.
    #[test]
    fn answered_part_values_combine() {
        let first = Crc64Nvme.digest(b"12345");
        let answered = Checksum::parse(Crc64Nvme, &Crc64Nvme.digest(b"6789").to_base64()).unwrap();
        let second = Digest::from_bytes(Crc64Nvme, answered.as_bytes(), 4).unwrap();
        assert_eq!(
            first.combine(&second).unwrap().to_base64(),
            "rosUhgp5mIg=",
            "CRC64NVME of 123456789"
        );
        assert!(Digest::from_bytes(Crc64Nvme, &[0; 4], 4).is_none());
        assert!(Digest::from_bytes(Crc32c, &[0; 8], 4).is_none());
    }

    #[test]
    fn shas_and_mixed_algorithms_do_not_combine() {
        assert!(Sha256.digest(b"a").combine(&Sha256.digest(b"b")).is_none());
        assert!(Sha1.digest(b"a").combine(&Sha1.digest(b"b")).is_none());
        assert!(Crc32.digest(b"a").combine(&Crc32c.digest(b"b")).is_none());
    }

    /// Composite values of two parts `aaaaa` and `The quick brown fox jumps over the lazy dog`,
    /// computed with Python's zlib and hashlib as moto does (`compute_checksum` over the
    /// concatenated raw part digests).
    #[test]
    fn composite_of_two_known_parts() {
        let fox = b"The quick brown fox jumps over the lazy dog";
        let crc_parts = [Crc32.digest(b"aaaaa"), Crc32.digest(fox)];
        let composite = Checksum::composite(Crc32, &crc_parts).unwrap();
        assert_eq!(composite.to_string(), "dxfNLw==-2");
        assert_eq!(composite.kind(), ChecksumType::Composite);
        assert_eq!(composite.parts(), Some(2));

        let sha_parts = [Sha256.digest(b"aaaaa"), Sha256.digest(fox)];
        let composite = Checksum::composite(Sha256, &sha_parts).unwrap();
        assert_eq!(
            composite.to_string(),
            "G5wIg4uhASVydU7Qb1u4Wys/P45vhU5Mc3ohls4tH6w=-2"
        );
        assert_eq!(
            composite.to_base64(),
            "G5wIg4uhASVydU7Qb1u4Wys/P45vhU5Mc3ohls4tH6w="
        );

        assert!(
            Checksum::composite(Crc32c, &crc_parts).is_none(),
            "parts of another algorithm"
        );
        assert!(Checksum::composite(Crc32, &[]).is_none(), "no parts");
    }

    #[test]
    fn parses_answered_values() {
        let full = Checksum::parse(Crc32c, "4waSgw==").unwrap();
        assert_eq!(full.as_bytes(), 0xe306_9283_u32.to_be_bytes());
        assert_eq!(full.parts(), None);
        assert_eq!(full.kind(), ChecksumType::FullObject);
        assert_eq!(full, Checksum::full_object(&Crc32c.digest(b"123456789")));
        assert_eq!(full.to_string(), "4waSgw==");

        let composite =
            Checksum::parse(Sha256, "G5wIg4uhASVydU7Qb1u4Wys/P45vhU5Mc3ohls4tH6w=-3").unwrap();
        assert_eq!(composite.parts(), Some(3));
        assert_eq!(composite.kind(), ChecksumType::Composite);
        assert_eq!(
            composite.to_string(),
            "G5wIg4uhASVydU7Qb1u4Wys/P45vhU5Mc3ohls4tH6w=-3"
        );

        let wide = Checksum::parse(Crc64Nvme, "rosUhgp5mIg=").unwrap();
        assert_eq!(wide.as_bytes(), 0xae8b_1486_0a79_9888_u64.to_be_bytes());
    }

    #[test]
    fn refuses_values_of_the_wrong_length_or_form() {
        // A CRC32C value given as CRC64NVME, a CRC64NVME given as CRC32, a SHA-1 as SHA-256.
        for (algorithm, value) in [
            (Crc64Nvme, "4waSgw=="),
            (Crc32, "rosUhgp5mIg="),
            (Sha256, "98O8HYCOBHMq32eZZczDTKeuNEE="),
            (Sha1, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="),
            (Crc32c, ""),
            (Crc32c, "-2"),
            (Crc32c, "4waSgw"),
            (Crc32c, "4waSgw==-0"),
            (Crc32c, "4waSgw==-x"),
            (Crc32c, "4waSgw==-+2"),
            (Crc32c, "4waSgw==-"),
            (Crc32c, "4wa_gw=="),
        ] {
            let err = Checksum::parse(algorithm, value).expect_err(value);
            assert_eq!(err.algorithm, algorithm);
            assert!(err.to_string().contains(value), "{err}");
        }
        let err = Checksum::parse(Crc64Nvme, "4waSgw==").unwrap_err();
        assert_eq!(err.reason, "a CRC64NVME value has 8 bytes, this one has 4");
    }

    #[test]
    fn names_as_s3_spells_them() {
        for algorithm in ChecksumAlgorithm::ALL {
            assert_eq!(serde_json::to_value(algorithm).unwrap(), algorithm.as_str());
            assert_eq!(
                ChecksumAlgorithm::from_name(&algorithm.as_str().to_lowercase()),
                Some(algorithm)
            );
            assert_eq!(
                ChecksumAlgorithm::from_header_name(algorithm.header_name()),
                Some(algorithm)
            );
            assert_eq!(
                algorithm.header_name(),
                format!("x-amz-checksum-{}", algorithm.as_str().to_lowercase())
            );
            assert_eq!(
                algorithm.xml_element(),
                format!("Checksum{}", algorithm.as_str())
            );
            assert_eq!(
                algorithm.digest(b"").as_bytes().len(),
                algorithm.digest_len()
            );
        }
        assert_eq!(ChecksumAlgorithm::from_name("SHA512"), None);
        assert_eq!(
            ChecksumAlgorithm::from_header_name("x-amz-checksum-type"),
            None
        );
        assert_eq!(
            serde_json::from_str::<ChecksumAlgorithm>("\"CRC64NVME\"").unwrap(),
            Crc64Nvme
        );
        for kind in [ChecksumType::Composite, ChecksumType::FullObject] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(ChecksumType::from_name(kind.as_str()), Some(kind));
        }
        let schema = serde_json::to_value(schemars::schema_for!(ChecksumAlgorithm)).unwrap();
        let names: Vec<&str> = schema["oneOf"]
            .as_array()
            .expect("one choice per algorithm")
            .iter()
            .map(|choice| choice["const"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]);
    }

    /// Which types S3 takes with each algorithm (AWS "Checking object integrity": CRC64NVME
    /// full-object only; full-object not for the SHAs).
    #[test]
    fn types_each_algorithm_allows() {
        use ChecksumType::{Composite, FullObject};
        let allowed: Vec<(ChecksumAlgorithm, bool, bool)> = ChecksumAlgorithm::ALL
            .into_iter()
            .map(|a| (a, a.allows(Composite), a.allows(FullObject)))
            .collect();
        assert_eq!(
            allowed,
            [
                (Crc32, true, true),
                (Crc32c, true, true),
                (Crc64Nvme, false, true),
                (Sha1, true, false),
                (Sha256, true, false),
            ]
        );
        for algorithm in ChecksumAlgorithm::ALL {
            assert!(algorithm.allows(algorithm.default_type()));
        }
        assert_eq!(Crc32c.default_type(), Composite);
        assert_eq!(Crc64Nvme.default_type(), FullObject);
    }
}
