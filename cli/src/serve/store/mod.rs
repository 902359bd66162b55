//! The connections store of the HTTP service: connections kept encrypted with
//! XChaCha20-Poly1305 (each record with its own random nonce, its id bound in as associated
//! data) under a master key from `S3C_MASTER_KEY` or a key file created with mode 0600 on first
//! start, in an SQLite database in the state folder that several services may share.
//! A secret is never returned once stored.
//!
//! - `crypto`: sealing records and reading keys; `key_file`: `master.key`, created safely
//!   when processes start at once.
//! - [`RecordStore`]: what a storage backend does (encrypted records by id); [`SqliteRecords`]:
//!   the one used now (`store.db`).
//! - `limits`: how many connections and how large each field.
//! - `legacy`: the previous store's `connections.json`, imported once on first start.

mod crypto;
mod key_file;
mod legacy;
mod limits;
mod records;
mod sqlite;

pub use crypto::Sealed;
pub use limits::{FIELD_LIMITS, MAX_CONNECTIONS};
pub use records::RecordStore;
pub use sqlite::SqliteRecords;

use connector_core::framework::provider::Provider;
use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::wire::payload::{ChecksumPolicy, PayloadSigning};
use connector_core::{AddressingStyle, Connection, Error, ErrorKind, Result, Secret};
use crypto::{Cipher, KEY_CHECK, KEY_CHECK_ID, random};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The variable that may hold the master key (32 bytes, base64 or 64 hex digits).
pub const MASTER_KEY_VAR: &str = "S3C_MASTER_KEY";
/// The database file in the state folder.
pub const DATABASE_FILE: &str = "store.db";
/// The key file in the state folder, used when no key is given.
pub const KEY_FILE: &str = "master.key";

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

impl ConnectionSummary {
    /// The summary of `connection`, under `id` and `name`.
    pub fn describe(id: &str, name: &str, connection: &Connection) -> Self {
        Plain::from_connection(name.to_owned(), connection).summary(id)
    }
}

/// What is encrypted: the connection with its secrets in clear (never serialized elsewhere).
#[derive(Serialize, Deserialize)]
pub(crate) struct Plain {
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
    // Added with provider presets: absent from connections stored before them.
    #[serde(default)]
    provider: Option<Provider>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    checksum_policy: Option<ChecksumPolicy>,
    #[serde(default)]
    payload_signing: Option<PayloadSigning>,
    #[serde(default)]
    checksum_algorithm: Option<ChecksumAlgorithm>,
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
            provider: c.provider,
            account_id: c.account_id.clone(),
            checksum_policy: c.checksum_policy,
            payload_signing: c.payload_signing,
            checksum_algorithm: c.checksum_algorithm,
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
            provider: self.provider,
            account_id: self.account_id.clone(),
            checksum_policy: self.checksum_policy,
            payload_signing: self.payload_signing,
            checksum_algorithm: self.checksum_algorithm,
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

/// The store: every call reads or writes the backend, so services sharing a state folder (or a
/// database) see each other's changes at once. Cheap to clone (the clones share the backend).
///
/// Calls block (disk, and another process's lock for up to the busy timeout): from async code,
/// call them through [`ConnectionStore::run`].
#[derive(Clone)]
pub struct ConnectionStore {
    inner: Arc<Inner>,
}

struct Inner {
    records: Box<dyn RecordStore>,
    cipher: Cipher,
}

impl ConnectionStore {
    /// The most connections the store keeps.
    pub const MAX_CONNECTIONS: usize = MAX_CONNECTIONS;

    /// Opens (or creates) the store in `dir` ([`DATABASE_FILE`]), with the key from
    /// `S3C_MASTER_KEY` when `master` is given, else from `dir/master.key` (created with mode
    /// 0600 on first start). A `connections.json` left by the previous store is imported with
    /// its ids, then renamed to `connections.json.migrated`.
    pub fn open(dir: &Path, master: Option<&str>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|err| {
            Error::new(
                ErrorKind::Server,
                format!("cannot create {}: {err}", dir.display()),
            )
        })?;
        let key = match master {
            Some(text) => crypto::parse_master_key(text)?,
            None => key_file::load_or_create(&dir.join(KEY_FILE))?,
        };
        // Read and checked whole before the database is touched: a wrong key or a damaged file
        // changes nothing.
        let legacy = legacy::read(dir, &Cipher::new(&key))?;
        let store =
            ConnectionStore::with_records(SqliteRecords::open(&dir.join(DATABASE_FILE))?, &key)?;
        if let Some(file) = legacy {
            store.import(&file)?;
        }
        Ok(store)
    }

    /// The store over any backend, with this key: the backend's key check must open with it
    /// (it is stored on first use).
    pub fn with_records(records: impl RecordStore + 'static, key: &[u8; 32]) -> Result<Self> {
        let cipher = Cipher::new(key);
        let check = records.key_check(&cipher.seal(KEY_CHECK, KEY_CHECK_ID)?)?;
        if !cipher.is_key_check(&check) {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the connection store was encrypted with another key: set {MASTER_KEY_VAR} \
                     (or restore {KEY_FILE}) to the key it was created with"
                ),
            ));
        }
        Ok(ConnectionStore {
            inner: Arc::new(Inner {
                records: Box::new(records),
                cipher,
            }),
        })
    }

    /// Imports the previous store's records under their ids (once per file content, in one
    /// transaction), then renames its file. A crash before the rename imports nothing twice:
    /// the next start finds the file imported already and only renames it.
    fn import(&self, file: &legacy::LegacyFile) -> Result<()> {
        let mut sealed = Vec::with_capacity(file.records.len());
        for (id, plain) in &file.records {
            sealed.push((id.clone(), self.seal(plain, id)?));
        }
        let imported = self.inner.records.import(&file.fingerprint, &sealed)?;
        if imported {
            tracing::info!(
                connections = sealed.len(),
                "imported {} into the connection store",
                file.path.display()
            );
        }
        file.set_aside()
    }

    fn seal(&self, plain: &Plain, id: &str) -> Result<Sealed> {
        let json = serde_json::to_vec(plain)
            .map_err(|err| Error::new(ErrorKind::Server, err.to_string()))?;
        self.inner.cipher.seal(&json, id)
    }

    fn open_record(&self, sealed: &Sealed, id: &str) -> Result<Plain> {
        self.inner
            .cipher
            .open(sealed, id)
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Server,
                    format!(
                        "the stored connection {id} cannot be decrypted (its record is damaged): \
                         delete it and store it again"
                    ),
                )
                .with_retryable(false)
            })
    }

    /// Stores `connection` under a new id. Refused when a field is longer than the store keeps
    /// ([`FIELD_LIMITS`], naming the field) or when the store is full ([`MAX_CONNECTIONS`]).
    pub fn insert(&self, name: String, connection: &Connection) -> Result<ConnectionSummary> {
        limits::check_fields(&name, connection)?;
        connection.validate()?;
        let id = hex::encode(random::<12>()?);
        let plain = Plain::from_connection(name, connection);
        let sealed = self.seal(&plain, &id)?;
        if !self.inner.records.insert(&id, &sealed, MAX_CONNECTIONS)? {
            return Err(limits::full());
        }
        Ok(plain.summary(&id))
    }

    /// Every connection, without secrets, oldest first.
    pub fn list(&self) -> Result<Vec<ConnectionSummary>> {
        self.inner
            .records
            .list()?
            .iter()
            .map(|(id, sealed)| Ok(self.open_record(sealed, id)?.summary(id)))
            .collect()
    }

    /// One connection, without secrets.
    pub fn summary(&self, id: &str) -> Result<Option<ConnectionSummary>> {
        match self.inner.records.get(id)? {
            Some(sealed) => Ok(Some(self.open_record(&sealed, id)?.summary(id))),
            None => Ok(None),
        }
    }

    /// The connection with its secrets, to run a module with.
    pub fn connection(&self, id: &str) -> Result<Option<Connection>> {
        match self.inner.records.get(id)? {
            Some(sealed) => Ok(Some(self.open_record(&sealed, id)?.connection())),
            None => Ok(None),
        }
    }

    /// Removes a connection; `false` when there was none.
    pub fn remove(&self, id: &str) -> Result<bool> {
        self.inner.records.remove(id)
    }

    /// Runs `job` on the store from async code, on a blocking thread: store calls wait on the
    /// disk and on other processes' locks, which must not hold up the workers serving other
    /// requests.
    pub async fn run<T, F>(&self, job: F) -> Result<T>
    where
        F: FnOnce(&ConnectionStore) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || job(&store))
            .await
            .map_err(|err| {
                Error::new(
                    ErrorKind::Server,
                    format!("a connection store call failed: {err}"),
                )
            })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn connection() -> Connection {
        Connection::new("AKIDSTORED", "stored-secret-value").with_session_token("stored-token")
    }

    #[test]
    fn round_trips_encrypted_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConnectionStore::open(dir.path(), None).unwrap();
        let saved = store.insert("prod".into(), &connection()).unwrap();
        assert!(saved.has_session_token);
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        drop(store);

        let again = ConnectionStore::open(dir.path(), None).unwrap();
        let back = again.connection(&saved.id).unwrap().unwrap();
        assert_eq!(back.secret_access_key.expose(), "stored-secret-value");
        assert_eq!(back.session_token.unwrap().expose(), "stored-token");
        assert_eq!(again.list().unwrap().len(), 1);
        assert!(again.remove(&saved.id).unwrap());
        assert!(again.connection(&saved.id).unwrap().is_none());
    }

    /// A record sealed before connections had a provider opens as it did; the provider fields
    /// are kept from then on.
    #[test]
    fn records_from_before_providers_open_and_providers_are_kept() {
        let old = r#"{"name":"prod","access_key_id":"AK","secret_access_key":"SK",
            "session_token":null,"region":"eu-west-1","endpoint_url":"http://127.0.0.1:9000",
            "addressing_style":"path","role_arn":null,"external_id":null,
            "role_session_name":null,"expiration":null}"#;
        let plain: Plain = serde_json::from_str(old).unwrap();
        let connection = plain.connection();
        assert_eq!(connection.provider, None);
        assert_eq!(connection.region, "eu-west-1");
        let r2 = Connection::new("AK", "SK")
            .with_provider(Provider::R2)
            .with_account_id("0123456789abcdef0123456789abcdef")
            .with_checksum_policy(ChecksumPolicy::WhenRequired);
        let json = serde_json::to_string(&Plain::from_connection("r2".into(), &r2)).unwrap();
        let back = serde_json::from_str::<Plain>(&json).unwrap().connection();
        assert_eq!(back.provider, Some(Provider::R2));
        assert_eq!(back.account_id, r2.account_id);
        assert_eq!(back.checksum_policy, Some(ChecksumPolicy::WhenRequired));
    }

    #[test]
    fn a_record_moved_to_another_id_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let key = [3u8; 32];
        let records = SqliteRecords::open(&dir.path().join(DATABASE_FILE)).unwrap();
        let store = ConnectionStore::with_records(records, &key).unwrap();
        let saved = store.insert("x".into(), &connection()).unwrap();
        let sealed = store.inner.records.get(&saved.id).unwrap().unwrap();
        assert!(store.inner.records.insert("moved", &sealed, 10).unwrap());
        let err = store.connection("moved").unwrap_err();
        assert!(err.message().contains("cannot be decrypted"), "{err}");
        assert!(!err.message().contains("stored-secret-value"));
        assert!(store.remove("moved").unwrap());
    }

    #[test]
    fn a_wrong_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let key = crypto::b64().encode([7u8; 32]);
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

    #[tokio::test]
    async fn async_callers_run_store_calls_on_a_blocking_thread() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConnectionStore::open(dir.path(), None).unwrap();
        let saved = store
            .run(|store| store.insert("async".into(), &connection()))
            .await
            .unwrap();
        let id = saved.id.clone();
        let back = store.run(move |store| store.summary(&id)).await.unwrap();
        assert_eq!(back.unwrap().name, "async");
    }
}
