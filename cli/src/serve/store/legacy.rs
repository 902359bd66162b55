//! The previous store's file, `connections.json` (version 1: a key check and records sealed
//! under the same key and in the same way as now, base64 in JSON), read so that its records can
//! be imported into the database under their ids.

use super::MASTER_KEY_VAR;
use super::Plain;
use super::crypto::{Cipher, Sealed, b64};
use base64::Engine as _;
use connector_core::{Error, ErrorKind, Result};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The previous store's file name in the state folder.
pub const FILE_NAME: &str = "connections.json";
/// What it is renamed to once imported (kept, not deleted).
pub const IMPORTED_NAME: &str = "connections.json.migrated";

/// The file as the previous store wrote it.
#[derive(Deserialize)]
struct StoreFile {
    key_check: Option<Base64Sealed>,
    #[serde(default)]
    connections: BTreeMap<String, Base64Sealed>,
}

#[derive(Deserialize)]
struct Base64Sealed {
    nonce: String,
    ciphertext: String,
}

impl Base64Sealed {
    fn decode(&self) -> Option<Sealed> {
        Some(Sealed {
            nonce: b64().decode(&self.nonce).ok()?.try_into().ok()?,
            ciphertext: b64().decode(&self.ciphertext).ok()?,
        })
    }
}

/// A `connections.json` read and decrypted whole.
pub struct LegacyFile {
    /// Where it is.
    pub path: PathBuf,
    /// What identifies this content (a SHA-256 of the file), so it is imported once.
    pub fingerprint: String,
    /// Its connections by id.
    pub records: Vec<(String, Plain)>,
}

/// The `connections.json` in `dir`, if there is one, checked against the key and decrypted
/// whole: a wrong key or a damaged record is an error before anything is imported.
pub fn read(dir: &Path, cipher: &Cipher) -> Result<Option<LegacyFile>> {
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(Error::new(
                ErrorKind::Server,
                format!("cannot read {}: {err}", path.display()),
            ));
        }
    };
    let damaged = |what: String| {
        Error::new(
            ErrorKind::Server,
            format!(
                "{} (the previous store's file, to import) is damaged: {what}; restore it from a \
                 backup, or move it away to start without its connections",
                path.display()
            ),
        )
    };
    let file: StoreFile = serde_json::from_slice(&bytes).map_err(|err| damaged(err.to_string()))?;
    if let Some(check) = &file.key_check
        && !check.decode().is_some_and(|c| cipher.is_key_check(&c))
    {
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "{} was encrypted with another key: set {MASTER_KEY_VAR} (or restore \
                 master.key) to the key it was created with",
                path.display()
            ),
        ));
    }
    let mut records = Vec::with_capacity(file.connections.len());
    for (id, sealed) in &file.connections {
        let plain = sealed
            .decode()
            .and_then(|sealed| cipher.open(&sealed, id))
            .and_then(|json| serde_json::from_slice::<Plain>(&json).ok())
            .ok_or_else(|| damaged(format!("the connection {id} cannot be decrypted")))?;
        records.push((id.clone(), plain));
    }
    Ok(Some(LegacyFile {
        path,
        fingerprint: format!("{FILE_NAME} sha256:{}", hex::encode(Sha256::digest(&bytes))),
        records,
    }))
}

impl LegacyFile {
    /// Renames the file to [`IMPORTED_NAME`] once its records are in the database. Another
    /// process that imported it at the same moment may have renamed it already.
    pub fn set_aside(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        match std::fs::rename(&self.path, dir.join(IMPORTED_NAME)) {
            Ok(()) => {
                if let Ok(folder) = std::fs::File::open(dir) {
                    let _ = folder.sync_all();
                }
                Ok(())
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(Error::new(
                ErrorKind::Server,
                format!(
                    "imported {} but cannot rename it to {IMPORTED_NAME}: {err}",
                    self.path.display()
                ),
            )),
        }
    }
}
