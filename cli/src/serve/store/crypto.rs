//! The store's encryption: XChaCha20-Poly1305 under the master key, each record sealed with its
//! own random 24-byte nonce and its id bound in as associated data (a record moved to another id
//! no longer opens), and the master key read from text.

use super::MASTER_KEY_VAR;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use connector_core::{Error, ErrorKind, Result};

/// The plaintext of the key check, sealed under the id [`KEY_CHECK_ID`]: it tells a wrong key
/// from a damaged record.
pub const KEY_CHECK: &[u8] = b"s3-connector connection store";
/// The associated data of the key check.
pub const KEY_CHECK_ID: &str = "key-check";

/// One encrypted record: what a backend keeps, besides the record's id.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The random nonce it was sealed with.
    pub nonce: [u8; 24],
    /// The ciphertext with its 16-byte tag.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.ciphertext.len())
    }
}

/// The master key's cipher.
pub struct Cipher(XChaCha20Poly1305);

impl Cipher {
    /// The cipher of the 32-byte master key.
    pub fn new(key: &[u8; 32]) -> Self {
        Cipher(XChaCha20Poly1305::new(key.into()))
    }

    /// Encrypts `plain` for the record `id`, with a fresh random nonce.
    pub fn seal(&self, plain: &[u8], id: &str) -> Result<Sealed> {
        let nonce: [u8; 24] = random()?;
        let ciphertext = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| Error::new(ErrorKind::Server, "encryption failed"))?;
        Ok(Sealed { nonce, ciphertext })
    }

    /// Decrypts the record `id`; `None` when the key, the id or the bytes do not match.
    pub fn open(&self, sealed: &Sealed, id: &str) -> Option<Vec<u8>> {
        self.0
            .decrypt(
                &XNonce::from(sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: id.as_bytes(),
                },
            )
            .ok()
    }

    /// Whether `sealed` is the key check sealed under this key.
    pub fn is_key_check(&self, sealed: &Sealed) -> bool {
        self.open(sealed, KEY_CHECK_ID).as_deref() == Some(KEY_CHECK)
    }
}

/// Standard base64, as keys and the previous store's file are written.
pub fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// `N` random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::new(ErrorKind::Server, format!("no randomness: {err}")))?;
    Ok(bytes)
}

/// A key written as base64 or 64 hex digits; `None` unless it is 32 bytes.
pub fn decode_key(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    hex::decode(text)
        .ok()
        .or_else(|| b64().decode(text).ok())
        .and_then(|bytes| bytes.try_into().ok())
}

/// The key given in `S3C_MASTER_KEY`.
pub fn parse_master_key(text: &str) -> Result<[u8; 32]> {
    decode_key(text).ok_or_else(|| {
        Error::invalid_input(
            MASTER_KEY_VAR,
            format!(
                "{MASTER_KEY_VAR} must be 32 bytes, as base64 or 64 hex digits (e.g. `openssl \
                 rand -base64 32`)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_opens_only_under_its_own_id_and_key() {
        let cipher = Cipher::new(&[1; 32]);
        let sealed = cipher.seal(b"plain", "id-1").unwrap();
        assert_eq!(cipher.open(&sealed, "id-1").as_deref(), Some(&b"plain"[..]));
        assert!(cipher.open(&sealed, "id-2").is_none());
        assert!(Cipher::new(&[2; 32]).open(&sealed, "id-1").is_none());
        // Each seal has its own nonce.
        assert_ne!(cipher.seal(b"plain", "id-1").unwrap().nonce, sealed.nonce);
        assert!(!format!("{sealed:?}").contains("plain"));
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_of_32_bytes() {
        assert_eq!(decode_key(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(
            decode_key(&format!(" {}\n", b64().encode([9u8; 32]))),
            Some([9; 32])
        );
        assert_eq!(decode_key("short"), None);
        let err = parse_master_key(&"ab".repeat(31)).unwrap_err();
        assert_eq!(err.field(), Some(MASTER_KEY_VAR));
    }
}
