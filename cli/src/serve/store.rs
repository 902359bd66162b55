//! The connections store of the HTTP service: connections kept on disk encrypted with
//! XChaCha20-Poly1305 (each record with its own random nonce, its id bound in as associated
//! data), under a key from `S3C_MASTER_KEY` or a key file created with mode 0600 on first start.
//! A secret is never returned once stored.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use connector_core::{AddressingStyle, Connection, Error, ErrorKind, Result, Secret};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The variable that may hold the master key (32 bytes, base64 or 64 hex digits).
pub const MASTER_KEY_VAR: &str = "S3C_MASTER_KEY";
/// A record encrypted with the key, to tell a wrong key from a damaged file.
const KEY_CHECK: &[u8] = b"s3-connector connection store";

/// A stored connection as the API shows it: everything but the secrets.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConnectionSummary {
    /// The id to run modules with (`connection_id`).
    pub id: String,
    /// A name for people.
    pub name: String,
    /// The access key ID (not secret).
    pub access_key_id: String,
    /// The region.
    pub region: String,
    /// The endpoint URL of an S3-compatible store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The addressing style.
    pub addressing_style: AddressingStyle,
    /// The role the connection works as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Whether a session token is stored (it is never shown).
    pub has_session_token: bool,
}

/// What is encrypted: the connection with its secrets in clear (never serialized elsewhere).
#[derive(Serialize, Deserialize)]
struct Plain {
    name: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    region: String,
    endpoint_url: Option<String>,
    addressing_style: AddressingStyle,
    role_arn: Option<String>,
    external_id: Option<String>,
    role_session_name: Option<String>,
    expiration: Option<String>,
}

impl Plain {
    fn from_connection(name: String, c: &Connection) -> Self {
        Plain {
            name,
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.expose().to_owned(),
            session_token: c.session_token.as_ref().map(|t| t.expose().to_owned()),
            region: c.region.clone(),
            endpoint_url: c.endpoint_url.clone(),
            addressing_style: c.addressing_style,
            role_arn: c.role_arn.clone(),
            external_id: c.external_id.clone(),
            role_session_name: c.role_session_name.clone(),
            expiration: c.expiration.clone(),
        }
    }

    fn connection(&self) -> Connection {
        Connection {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: Secret::new(&self.secret_access_key),
            session_token: self.session_token.as_deref().map(Secret::new),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            addressing_style: self.addressing_style,
            role_arn: self.role_arn.clone(),
            external_id: self.external_id.clone(),
            role_session_name: self.role_session_name.clone(),
            expiration: self.expiration.clone(),
        }
    }

    fn summary(&self, id: &str) -> ConnectionSummary {
        ConnectionSummary {
            id: id.to_owned(),
            name: self.name.clone(),
            access_key_id: self.access_key_id.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            addressing_style: self.addressing_style,
            role_arn: self.role_arn.clone(),
            has_session_token: self.session_token.is_some(),
        }
    }
}

/// The file: a key check and the encrypted records.
#[derive(Default, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    key_check: Option<Sealed>,
    connections: BTreeMap<String, Sealed>,
}

/// One encrypted record.
#[derive(Clone, Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    ciphertext: String,
}

/// The store: records decrypted in memory, written encrypted on every change.
pub struct ConnectionStore {
    path: PathBuf,
    cipher: XChaCha20Poly1305,
    records: Mutex<BTreeMap<String, Plain>>,
}

fn store_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Server, message)
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|err| store_error(format!("no randomness: {err}")))?;
    Ok(bytes)
}

impl ConnectionStore {
    /// Opens (or creates) the store in `dir`, with the key from `S3C_MASTER_KEY` when `master`
    /// is given, else from `dir/master.key` (created with mode 0600 on first start).
    pub fn open(dir: &Path, master: Option<&str>) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|err| store_error(format!("cannot create {}: {err}", dir.display())))?;
        let key = match master {
            Some(text) => parse_key(text)?,
            None => key_file(&dir.join("master.key"))?,
        };
        let cipher = XChaCha20Poly1305::new(&key.into());
        let path = dir.join("connections.json");
        let mut store = ConnectionStore {
            path,
            cipher,
            records: Mutex::new(BTreeMap::new()),
        };
        store.load()?;
        Ok(store)
    }

    fn load(&mut self) -> Result<()> {
        let file: StoreFile = match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|err| store_error(format!("{} is damaged: {err}", self.path.display())))?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => StoreFile::default(),
            Err(err) => {
                return Err(store_error(format!(
                    "cannot read {}: {err}",
                    self.path.display()
                )));
            }
        };
        if let Some(check) = &file.key_check
            && self.open_sealed(check, "key-check").as_deref() != Some(KEY_CHECK)
        {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the connection store {} was encrypted with another key: set {MASTER_KEY_VAR} \
                     (or restore master.key) to the key it was created with",
                    self.path.display()
                ),
            ));
        }
        let mut records = BTreeMap::new();
        for (id, sealed) in &file.connections {
            let plain = self
                .open_sealed(sealed, id)
                .and_then(|bytes| serde_json::from_slice::<Plain>(&bytes).ok())
                .ok_or_else(|| {
                    store_error(format!("the stored connection {id} cannot be decrypted"))
                })?;
            records.insert(id.clone(), plain);
        }
        *self.records.get_mut().expect("not shared yet") = records;
        Ok(())
    }

    fn seal(&self, plain: &[u8], id: &str) -> Result<Sealed> {
        let nonce: [u8; 24] = random()?;
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| store_error("encryption failed"))?;
        Ok(Sealed {
            nonce: b64().encode(nonce),
            ciphertext: b64().encode(ciphertext),
        })
    }

    fn open_sealed(&self, sealed: &Sealed, id: &str) -> Option<Vec<u8>> {
        let nonce: [u8; 24] = b64().decode(&sealed.nonce).ok()?.try_into().ok()?;
        let ciphertext = b64().decode(&sealed.ciphertext).ok()?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: id.as_bytes(),
                },
            )
            .ok()
    }

    /// Writes every record, encrypted, atomically (temporary file, then rename).
    fn save(&self, records: &BTreeMap<String, Plain>) -> Result<()> {
        let mut file = StoreFile {
            version: 1,
            key_check: Some(self.seal(KEY_CHECK, "key-check")?),
            connections: BTreeMap::new(),
        };
        for (id, plain) in records {
            let json = serde_json::to_vec(plain).map_err(|err| store_error(err.to_string()))?;
            file.connections.insert(id.clone(), self.seal(&json, id)?);
        }
        let text = serde_json::to_vec_pretty(&file).map_err(|err| store_error(err.to_string()))?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut temp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|err| store_error(format!("cannot write the store: {err}")))?;
        std::io::Write::write_all(&mut temp, &text)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|err| store_error(format!("cannot write the store: {err}")))?;
        temp.persist(&self.path)
            .map_err(|err| store_error(format!("cannot write the store: {}", err.error)))?;
        // The rename itself reaches the disk with the folder.
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    }

    /// Stores `connection` under a new id.
    pub fn insert(&self, name: String, connection: &Connection) -> Result<ConnectionSummary> {
        connection.validate()?;
        let id = hex::encode(random::<12>()?);
        let plain = Plain::from_connection(name, connection);
        let summary = plain.summary(&id);
        let mut records = self
            .records
            .lock()
            .map_err(|_| store_error("store lock poisoned"))?;
        records.insert(id, plain);
        self.save(&records)?;
        Ok(summary)
    }

    /// Every connection, without secrets.
    pub fn list(&self) -> Vec<ConnectionSummary> {
        let records = self.records.lock().expect("store lock");
        records
            .iter()
            .map(|(id, plain)| plain.summary(id))
            .collect()
    }

    /// One connection, without secrets.
    pub fn summary(&self, id: &str) -> Option<ConnectionSummary> {
        let records = self.records.lock().expect("store lock");
        records.get(id).map(|plain| plain.summary(id))
    }

    /// The connection with its secrets, to run a module with.
    pub fn connection(&self, id: &str) -> Option<Connection> {
        let records = self.records.lock().expect("store lock");
        records.get(id).map(Plain::connection)
    }

    /// Removes a connection; `false` when there was none.
    pub fn remove(&self, id: &str) -> Result<bool> {
        let mut records = self
            .records
            .lock()
            .map_err(|_| store_error("store lock poisoned"))?;
        if records.remove(id).is_none() {
            return Ok(false);
        }
        self.save(&records)?;
        Ok(true)
    }
}

/// A key given as base64 or hex (32 bytes).
fn parse_key(text: &str) -> Result<[u8; 32]> {
    let text = text.trim();
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| b64().decode(text).ok())
        .filter(|bytes| bytes.len() == 32)
        .ok_or_else(|| {
            Error::invalid_input(
                MASTER_KEY_VAR,
                format!("{MASTER_KEY_VAR} must be 32 bytes, as base64 or 64 hex digits (e.g. `openssl rand -base64 32`)"),
            )
        })?;
    Ok(bytes.try_into().expect("32 bytes"))
}

/// The key in `path`, created (random, mode 0600) when missing.
fn key_file(path: &Path) -> Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_key(&text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = random()?;
            write_private(path, &b64().encode(key))?;
            Ok(key)
        }
        Err(err) => Err(store_error(format!(
            "cannot read {}: {err}",
            path.display()
        ))),
    }
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|err| store_error(format!("cannot create {}: {err}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|err| store_error(format!("cannot write {}: {err}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> Connection {
        Connection::new("AKIDSTORED", "stored-secret-value").with_session_token("stored-token")
    }

    #[test]
    fn round_trips_encrypted_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConnectionStore::open(dir.path(), None).unwrap();
        let saved = store.insert("prod".into(), &connection()).unwrap();
        assert!(saved.has_session_token);
        let on_disk = std::fs::read_to_string(dir.path().join("connections.json")).unwrap();
        assert!(!on_disk.contains("stored-secret-value") && !on_disk.contains("AKIDSTORED"));
        let mode = std::fs::metadata(dir.path().join("master.key")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        drop(store);

        let again = ConnectionStore::open(dir.path(), None).unwrap();
        let back = again.connection(&saved.id).unwrap();
        assert_eq!(back.secret_access_key.expose(), "stored-secret-value");
        assert_eq!(again.list().len(), 1);
        assert!(again.remove(&saved.id).unwrap());
        assert!(again.connection(&saved.id).is_none());
    }

    #[test]
    fn a_wrong_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let key = b64().encode([7u8; 32]);
        let store = ConnectionStore::open(dir.path(), Some(&key)).unwrap();
        store.insert("x".into(), &connection()).unwrap();
        let other = hex::encode([8u8; 32]);
        let err = ConnectionStore::open(dir.path(), Some(&other))
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.message().contains("another key"));
        let err = ConnectionStore::open(dir.path(), Some("short"))
            .err()
            .unwrap();
        assert_eq!(err.field(), Some(MASTER_KEY_VAR));
    }
}
