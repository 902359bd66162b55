//! The connections store's backend today: an SQLite database file in the state folder
//! (`store.db`), shared safely by every process that opens it.
//!
//! - Write-ahead logging: readers never wait for the writer, and one writer at a time.
//! - A busy timeout: a process that finds the database locked by another waits for it.
//! - Every change is one `BEGIN IMMEDIATE` transaction (the write lock is taken first, so a
//!   transaction that reads then writes never fails half-way because another wrote in between).
//! - `synchronous=FULL`: a committed change is on disk.
//! - The schema is versioned with `PRAGMA user_version` and brought up to date on open.
//! - Nothing is kept in memory: every call reads the database.

use super::crypto::{Sealed, random};
use super::records::RecordStore;
use connector_core::{Error, ErrorKind, Result};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a call waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, one step per version: `PRAGMA user_version` counts the steps applied. A new
/// version appends a step; a step is never changed once released.
const MIGRATIONS: &[&str] = &[
    // 1: records by id (in the order they were added), the key check, imported files.
    "CREATE TABLE connections (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         id TEXT NOT NULL UNIQUE,
         nonce BLOB NOT NULL,
         ciphertext BLOB NOT NULL
     ) STRICT;
     CREATE TABLE key_check (
         only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
         nonce BLOB NOT NULL,
         ciphertext BLOB NOT NULL
     ) STRICT;
     CREATE TABLE imports (
         source TEXT PRIMARY KEY,
         imported_at INTEGER NOT NULL DEFAULT (unixepoch())
     ) STRICT;",
];

/// Encrypted records in an SQLite database file.
pub struct SqliteRecords {
    path: PathBuf,
    db: Mutex<Connection>,
}

impl SqliteRecords {
    /// Opens the database at `path` (created with mode 0600 when missing) and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        create_private(path)?;
        let fail = |err| db_error(path, err);
        let mut db = Connection::open(path).map_err(fail)?;
        db.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        let mode: String = retry_when_busy(|| {
            db.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        })
        .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::new(
                ErrorKind::Server,
                format!(
                    "the connection store {} cannot use write-ahead logging (journal mode \
                     {mode}): put the state folder on a local file system",
                    path.display()
                ),
            ));
        }
        db.pragma_update(None, "synchronous", "FULL")
            .and_then(|()| db.pragma_update(None, "secure_delete", "ON"))
            .map_err(fail)?;
        migrate(&mut db, path)?;
        Ok(SqliteRecords {
            path: path.to_owned(),
            db: Mutex::new(db),
        })
    }

    /// The connection. A panic elsewhere while holding it rolled its transaction back (the
    /// transaction's drop does), so a poisoned lock is still safe to use.
    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn fail(&self, err: rusqlite::Error) -> Error {
        db_error(&self.path, err)
    }
}

/// Runs `step` again while the database is busy in a way SQLite does not wait for: two
/// connections switching a new database to write-ahead logging at once would deadlock, so
/// SQLite tells one of them "busy" at once instead of calling the busy handler.
fn retry_when_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match step() {
            Err(err) if is_busy(&err) && Instant::now() < deadline => {
                // A few milliseconds, different in each process, so they do not collide again.
                let jitter = random::<1>().map_or(0, |[byte]| u64::from(byte % 16));
                std::thread::sleep(Duration::from_millis(2 + jitter));
            }
            other => return other,
        }
    }
}

fn is_busy(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

/// Brings the schema to the newest version, in one transaction.
fn migrate(db: &mut Connection, path: &Path) -> Result<()> {
    let fail = |err| db_error(path, err);
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(fail)?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "the connection store {} has schema version {version}, newer than this \
                 s3-connector knows ({}): run a newer s3-connector",
                path.display(),
                MIGRATIONS.len()
            ),
        ));
    }
    if version == MIGRATIONS.len() {
        return Ok(());
    }
    for step in &MIGRATIONS[version..] {
        tx.execute_batch(step).map_err(fail)?;
    }
    tx.pragma_update(None, "user_version", schema_version())
        .map_err(fail)?;
    tx.commit().map_err(fail)
}

/// The newest schema version, as `PRAGMA user_version` holds it.
fn schema_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).expect("a few migrations")
}

impl RecordStore for SqliteRecords {
    fn key_check(&self, proposed: &Sealed) -> Result<Sealed> {
        let mut db = self.db();
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.fail(err))?;
        tx.execute(
            "INSERT OR IGNORE INTO key_check (only_row, nonce, ciphertext) VALUES (1, ?1, ?2)",
            params![proposed.nonce, proposed.ciphertext],
        )
        .map_err(|err| self.fail(err))?;
        let stored = tx
            .query_row(
                "SELECT nonce, ciphertext FROM key_check WHERE only_row = 1",
                [],
                sealed_from_row,
            )
            .map_err(|err| self.fail(err))?;
        tx.commit().map_err(|err| self.fail(err))?;
        Ok(stored)
    }

    fn insert(&self, id: &str, record: &Sealed, limit: usize) -> Result<bool> {
        let mut db = self.db();
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.fail(err))?;
        let count: i64 = tx
            .query_row("SELECT count(*) FROM connections", [], |row| row.get(0))
            .map_err(|err| self.fail(err))?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO connections (id, nonce, ciphertext) VALUES (?1, ?2, ?3)",
            params![id, record.nonce, record.ciphertext],
        )
        .map_err(|err| self.fail(err))?;
        tx.commit().map_err(|err| self.fail(err))?;
        Ok(true)
    }

    fn list(&self) -> Result<Vec<(String, Sealed)>> {
        let db = self.db();
        let mut query = db
            .prepare_cached("SELECT id, nonce, ciphertext FROM connections ORDER BY seq")
            .map_err(|err| self.fail(err))?;
        let rows = query
            .query_map([], |row| Ok((row.get(0)?, sealed_from_row_at(row, 1)?)))
            .map_err(|err| self.fail(err))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| self.fail(err))
    }

    fn get(&self, id: &str) -> Result<Option<Sealed>> {
        self.db()
            .query_row(
                "SELECT nonce, ciphertext FROM connections WHERE id = ?1",
                [id],
                sealed_from_row,
            )
            .optional()
            .map_err(|err| self.fail(err))
    }

    fn remove(&self, id: &str) -> Result<bool> {
        let mut db = self.db();
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.fail(err))?;
        let removed = tx
            .execute("DELETE FROM connections WHERE id = ?1", [id])
            .map_err(|err| self.fail(err))?;
        tx.commit().map_err(|err| self.fail(err))?;
        Ok(removed > 0)
    }

    fn import(&self, source: &str, records: &[(String, Sealed)]) -> Result<bool> {
        let mut db = self.db();
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.fail(err))?;
        let first_time = tx
            .execute(
                "INSERT OR IGNORE INTO imports (source) VALUES (?1)",
                [source],
            )
            .map_err(|err| self.fail(err))?
            > 0;
        if !first_time {
            return Ok(false);
        }
        for (id, record) in records {
            tx.execute(
                "INSERT OR IGNORE INTO connections (id, nonce, ciphertext) VALUES (?1, ?2, ?3)",
                params![id, record.nonce, record.ciphertext],
            )
            .map_err(|err| self.fail(err))?;
        }
        tx.commit().map_err(|err| self.fail(err))?;
        Ok(true)
    }
}

fn sealed_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Sealed> {
    sealed_from_row_at(row, 0)
}

/// The nonce and ciphertext in columns `first` and `first + 1`.
fn sealed_from_row_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Sealed> {
    Ok(Sealed {
        nonce: row.get(first)?,
        ciphertext: row.get(first + 1)?,
    })
}

/// Creates `path` empty with mode 0600 when it does not exist (SQLite would create it with the
/// default mode; its `-wal` and `-shm` files take the database file's mode).
fn create_private(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|err| {
            Error::new(
                ErrorKind::Server,
                format!("cannot create {}: {err}", path.display()),
            )
        })
}

fn db_error(path: &Path, err: rusqlite::Error) -> Error {
    if is_busy(&err) {
        return Error::new(
            ErrorKind::Timeout,
            format!(
                "the connection store {} stayed locked by another process for {} s: try again ({err})",
                path.display(),
                BUSY_TIMEOUT.as_secs()
            ),
        );
    }
    Error::new(
        ErrorKind::Server,
        format!("the connection store {}: {err}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(byte: u8) -> Sealed {
        Sealed {
            nonce: [byte; 24],
            ciphertext: vec![byte; 40],
        }
    }

    #[test]
    fn the_schema_is_versioned_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let records = SqliteRecords::open(&path).unwrap();
        let version: i64 = records
            .db()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, schema_version());
        let mode: String = records
            .db()
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        records
            .db()
            .pragma_update(None, "user_version", schema_version() + 1)
            .unwrap();
        drop(records);
        let err = SqliteRecords::open(&path).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(err.message().contains("newer"), "{err}");
    }

    #[test]
    fn records_keep_their_order_and_the_limit_holds() {
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(&dir.path().join("store.db")).unwrap();
        assert!(records.insert("b", &sealed(1), 2).unwrap());
        assert!(records.insert("a", &sealed(2), 2).unwrap());
        assert!(!records.insert("c", &sealed(3), 2).unwrap());
        let ids: Vec<String> = records.list().unwrap().into_iter().map(|r| r.0).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(records.get("a").unwrap(), Some(sealed(2)));
        assert!(records.remove("a").unwrap());
        assert!(!records.remove("a").unwrap());
        assert_eq!(records.get("a").unwrap(), None);
        // The first key check stored is the one every later caller gets.
        assert_eq!(records.key_check(&sealed(7)).unwrap(), sealed(7));
        assert_eq!(records.key_check(&sealed(8)).unwrap(), sealed(7));
        // An import happens once; ids already stored keep their records.
        let batch = [("b".to_owned(), sealed(9)), ("d".to_owned(), sealed(4))];
        assert!(records.import("file-1", &batch).unwrap());
        assert!(!records.import("file-1", &batch).unwrap());
        assert_eq!(records.get("b").unwrap(), Some(sealed(1)));
        assert_eq!(records.get("d").unwrap(), Some(sealed(4)));
        let mode = std::fs::metadata(dir.path().join("store.db")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }
}
