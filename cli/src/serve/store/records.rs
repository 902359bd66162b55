//! What a storage backend of the connections store does: keep encrypted records by id.
//!
//! A backend never sees a key or a plaintext: encryption, limits and the key check's meaning stay
//! in [`super::ConnectionStore`]. The SQLite database in the state folder
//! (`SqliteRecords`, in `sqlite.rs`, which implements this trait) is the backend today; a shared database such as
//! PostgreSQL can implement the same trait for services on several machines.

use super::crypto::Sealed;
use connector_core::Result;

/// Encrypted records by id, shared by every process that opens the same storage.
///
/// Rules for an implementation:
/// - Nothing is cached in memory: every call reads or writes the storage, so a change made by
///   one process is seen by the next call in any other.
/// - Every change is atomic (one transaction), including the check it depends on (the count
///   before an insert, the marker of an import).
/// - Calls block (disk, locks, network) and are short: async callers run them on a blocking
///   thread ([`super::ConnectionStore::run`]).
pub trait RecordStore: Send + Sync {
    /// The stored key check; when there is none yet, `proposed` is stored and returned. Of two
    /// processes creating the storage at once, both get the same one.
    fn key_check(&self, proposed: &Sealed) -> Result<Sealed>;

    /// Stores `record` under the new id `id` unless `limit` records are stored already; `false`
    /// when the storage was full.
    fn insert(&self, id: &str, record: &Sealed, limit: usize) -> Result<bool>;

    /// Every record with its id, oldest first.
    fn list(&self) -> Result<Vec<(String, Sealed)>>;

    /// The record stored under `id`.
    fn get(&self, id: &str) -> Result<Option<Sealed>>;

    /// Removes the record under `id`; `false` when there was none.
    fn remove(&self, id: &str) -> Result<bool>;

    /// Stores `records` (ids kept; an id already stored keeps its record) and remembers
    /// `source` (a fingerprint of where they came from), all in one transaction; `false`, with
    /// nothing stored, when `source` was imported before.
    fn import(&self, source: &str, records: &[(String, Sealed)]) -> Result<bool>;
}
