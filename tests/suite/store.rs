//! The service's connections store on a real state folder: two services (or many first starts
//! at once, as threads and as separate processes) on one folder, the import of a
//! `connections.json` written by the previous store, the size limits, a wrong key, and no secret
//! in clear on disk.

use connector_core::{AddressingStyle, Connection, ErrorKind};
use s3_connector::serve::store::{ConnectionStore, ConnectionSummary};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Barrier};

/// The key the fixture `fixtures/connections-v1.json` was written with (by the JSON-file store
/// this one replaces): 32 bytes of 0x5a.
const FIXTURE_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
/// Set in a child process started by `first_starts_in_separate_processes_agree_on_one_key`: the
/// state folder it opens.
const CHILD_DIR_VAR: &str = "S3C_STORE_TEST_CHILD_DIR";

fn connection(n: usize) -> Connection {
    Connection::new(format!("AKIDSTORE{n:04}"), format!("store-secret-{n:04}"))
}

fn list(store: &ConnectionStore) -> Vec<ConnectionSummary> {
    store.list().expect("list the store")
}

fn ids(store: &ConnectionStore) -> BTreeSet<String> {
    list(store).into_iter().map(|c| c.id).collect()
}

fn secret_of(store: &ConnectionStore, id: &str) -> String {
    store
        .connection(id)
        .expect("read the store")
        .unwrap_or_else(|| panic!("no connection {id}"))
        .secret_access_key
        .expose()
        .to_owned()
}

/// Every byte under `dir` (the database, its journal files, the key file, anything else).
fn everything_on_disk(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn two_services_on_one_folder_keep_each_others_connections() {
    let dir = tempfile::tempdir().unwrap();
    let first = ConnectionStore::open(dir.path(), None).unwrap();
    let second = ConnectionStore::open(dir.path(), None).unwrap();

    let a = first
        .insert("from the first".into(), &connection(1))
        .unwrap();
    let b = second
        .insert("from the second".into(), &connection(2))
        .unwrap();
    let both: BTreeSet<String> = [a.id.clone(), b.id.clone()].into();
    assert_eq!(ids(&first), both, "the first service lost a connection");
    assert_eq!(ids(&second), both, "the second service lost a connection");
    assert_eq!(secret_of(&first, &b.id), "store-secret-0002");
    assert_eq!(secret_of(&second, &a.id), "store-secret-0001");

    // A removal on one is seen by the other at once.
    assert!(second.remove(&a.id).unwrap());
    assert!(first.connection(&a.id).unwrap().is_none());
    assert!(first.summary(&a.id).unwrap().is_none());
    assert!(!first.remove(&a.id).unwrap());
    drop((first, second));

    let later = ConnectionStore::open(dir.path(), None).unwrap();
    assert_eq!(ids(&later), [b.id].into());
}

#[test]
fn first_starts_at_once_agree_on_one_key() {
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|n| {
                let dir = dir.path().to_owned();
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    let store = ConnectionStore::open(&dir, None)?;
                    store.insert(format!("thread {n}"), &connection(n))
                })
            })
            .collect();
        let mut added = Vec::new();
        for thread in threads {
            match thread.join().unwrap() {
                Ok(summary) => added.push(summary.id),
                Err(err) => panic!("round {round}: a first start failed: {err}"),
            }
        }
        let store = ConnectionStore::open(dir.path(), None).unwrap();
        assert_eq!(
            ids(&store),
            added.iter().cloned().collect(),
            "round {round}"
        );
        for (n, id) in added.iter().enumerate() {
            assert_eq!(secret_of(&store, id), format!("store-secret-{n:04}"));
        }
        let key_file = std::fs::metadata(dir.path().join("master.key")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&key_file.permissions()) & 0o777,
            0o600
        );
    }
}

/// Run in a child process only (when `CHILD_DIR_VAR` is set): opens the store in that folder
/// and adds a connection, as a service starting there would. Elsewhere it does nothing.
#[test]
fn child_process_adds_a_connection() {
    let Ok(dir) = std::env::var(CHILD_DIR_VAR) else {
        return;
    };
    let n: usize = std::env::var("S3C_STORE_TEST_CHILD_N")
        .unwrap()
        .parse()
        .unwrap();
    let store = ConnectionStore::open(Path::new(&dir), None).expect("open the store");
    let summary = store
        .insert(format!("process {n}"), &connection(n))
        .expect("add a connection");
    println!("ADDED {}", summary.id);
}

#[test]
fn first_starts_in_separate_processes_agree_on_one_key() {
    let me = std::env::current_exe().unwrap();
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let children: Vec<_> = (0..8)
            .map(|n| {
                std::process::Command::new(&me)
                    .args([
                        "store::child_process_adds_a_connection",
                        "--exact",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(CHILD_DIR_VAR, dir.path())
                    .env("S3C_STORE_TEST_CHILD_N", n.to_string())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut added = BTreeSet::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "round {round}: a first start failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let id = stdout
                .lines()
                .find_map(|line| line.split("ADDED ").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .expect("the child's id");
            added.insert(id.to_owned());
        }
        assert_eq!(added.len(), 8);
        let store = ConnectionStore::open(dir.path(), None).unwrap();
        assert_eq!(ids(&store), added, "round {round}: connections were lost");
        for id in &added {
            assert!(secret_of(&store, id).starts_with("store-secret-"));
        }
    }
}

#[test]
fn a_connections_json_of_the_previous_store_is_imported_once_with_its_ids_and_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/connections-v1.json"))
            .unwrap();
    let legacy = dir.path().join("connections.json");
    std::fs::write(&legacy, &fixture).unwrap();

    // A wrong key leaves the file as it is.
    let other = "00".repeat(32);
    let err = ConnectionStore::open(dir.path(), Some(&other))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.message().contains("another key"), "{err}");
    assert_eq!(std::fs::read(&legacy).unwrap(), fixture);

    let store = ConnectionStore::open(dir.path(), Some(FIXTURE_KEY)).unwrap();
    let plain = "0aad65309a798985aa940b5d";
    let full = "c7d50f7d94ad6fd06efa4123";
    assert_eq!(ids(&store), [plain.to_owned(), full.to_owned()].into());
    assert_eq!(secret_of(&store, plain), "legacy-secret-one");
    let imported = store.connection(full).unwrap().unwrap();
    assert_eq!(imported.access_key_id, "AKIDLEGACYTWO");
    assert_eq!(imported.secret_access_key.expose(), "legacy-secret-two");
    assert_eq!(
        imported.session_token.as_ref().unwrap().expose(),
        "legacy-session-token"
    );
    assert_eq!(imported.region, "eu-west-3");
    assert_eq!(
        imported.endpoint_url.as_deref(),
        Some("http://127.0.0.1:9000")
    );
    assert_eq!(imported.addressing_style, AddressingStyle::Path);
    assert_eq!(
        imported.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/legacy")
    );
    let summary = store.summary(full).unwrap().unwrap();
    assert_eq!(summary.name, "legacy full");
    assert!(summary.has_session_token);
    // Kept, renamed, not deleted.
    assert!(!legacy.exists());
    assert_eq!(
        std::fs::read(dir.path().join("connections.json.migrated")).unwrap(),
        fixture
    );
    assert!(store.remove(plain).unwrap());
    drop(store);

    // The same file back (as after a crash between the import and the rename) is not imported
    // twice: the removed connection stays removed, and the file is renamed again.
    std::fs::write(&legacy, &fixture).unwrap();
    let again = ConnectionStore::open(dir.path(), Some(FIXTURE_KEY)).unwrap();
    assert_eq!(ids(&again), [full.to_owned()].into());
    assert!(!legacy.exists());
}

#[test]
fn a_damaged_connections_json_is_left_alone_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/connections-v1.json"),
    )
    .unwrap();
    // The second record's ciphertext is changed: it no longer decrypts.
    let damaged = fixture.replacen("MwcxUdbu", "MwcxUdbv", 1);
    assert_ne!(damaged, fixture);
    let legacy = dir.path().join("connections.json");
    std::fs::write(&legacy, &damaged).unwrap();
    let err = ConnectionStore::open(dir.path(), Some(FIXTURE_KEY))
        .err()
        .unwrap();
    assert!(err.message().contains("c7d50f7d94ad6fd06efa4123"), "{err}");
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), damaged);

    // Repaired, it is imported whole.
    std::fs::write(&legacy, &fixture).unwrap();
    let store = ConnectionStore::open(dir.path(), Some(FIXTURE_KEY)).unwrap();
    assert_eq!(list(&store).len(), 2);
}

#[test]
fn oversized_fields_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConnectionStore::open(dir.path(), None).unwrap();
    // A long session token (STS tokens can pass 2 KiB) is fine.
    let token = "t".repeat(6 * 1024);
    store
        .insert(
            "long token".into(),
            &connection(1).with_session_token(&token),
        )
        .unwrap();

    let long = |n: usize| "a".repeat(n);
    let cases: Vec<(&str, String, Connection)> = vec![
        ("name", long(1000), connection(2)),
        (
            "connection.access_key_id",
            String::new(),
            Connection::new(long(1000), "secret"),
        ),
        (
            "connection.secret_access_key",
            String::new(),
            Connection::new("AKID", long(5000)),
        ),
        (
            "connection.session_token",
            String::new(),
            connection(3).with_session_token(long(20 * 1024)),
        ),
        (
            "connection.endpoint_url",
            String::new(),
            connection(4).with_endpoint_url(format!("http://127.0.0.1:9000/{}", long(5000))),
        ),
        (
            "connection.external_id",
            String::new(),
            Connection {
                external_id: Some(long(5000)),
                ..connection(5)
            },
        ),
    ];
    for (field, name, connection) in cases {
        let name = if name.is_empty() { "n".into() } else { name };
        let err = store
            .insert(name, &connection)
            .expect_err(&format!("{field} too long was stored"));
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{field}: {err}");
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.message().contains("at most"), "{err}");
    }
    assert_eq!(list(&store).len(), 1);
}

#[test]
fn the_store_holds_a_bounded_number_of_connections() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConnectionStore::open(dir.path(), None).unwrap();
    let limit = ConnectionStore::MAX_CONNECTIONS;
    for n in 0..limit {
        store.insert(format!("c{n}"), &connection(n)).unwrap();
    }
    let err = store
        .insert("one too many".into(), &connection(limit))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.message().contains("delete"), "{err}");
    // The bound holds for another service on the same folder, and frees up with a removal.
    let other = ConnectionStore::open(dir.path(), None).unwrap();
    assert!(other.insert("also".into(), &connection(0)).is_err());
    let first = list(&store)[0].id.clone();
    assert!(other.remove(&first).unwrap());
    store.insert("fits again".into(), &connection(0)).unwrap();
}

#[test]
fn a_wrong_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConnectionStore::open(dir.path(), Some(&"07".repeat(32))).unwrap();
    store.insert("x".into(), &connection(1)).unwrap();
    drop(store);
    let err = ConnectionStore::open(dir.path(), Some(&"08".repeat(32)))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.message().contains("another key"), "{err}");
    assert!(err.message().contains("S3C_MASTER_KEY"), "{err}");
    // Also when the key comes from a key file that no longer matches.
    let err = ConnectionStore::open(dir.path(), None).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
}

#[test]
fn no_secret_is_ever_on_disk_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConnectionStore::open(dir.path(), None).unwrap();
    let secret = Connection::new("AKIDNEVERONDISK", "secret-never-on-disk")
        .with_session_token("token-never-on-disk");
    let stored = store.insert("kept".into(), &secret).unwrap();
    let removed = store
        .insert(
            "removed".into(),
            &Connection::new("AKIDREMOVED", "removed-secret-never-on-disk"),
        )
        .unwrap();
    assert!(store.remove(&removed.id).unwrap());
    assert!(dir.path().join("store.db").exists());
    let never_in_clear = [
        "secret-never-on-disk",
        "token-never-on-disk",
        "AKIDNEVERONDISK",
        "removed-secret-never-on-disk",
    ];
    // While open (with the write-ahead log beside the database) and after closing.
    let disk = everything_on_disk(dir.path());
    for text in never_in_clear {
        assert!(!contains(&disk, text), "{text} is on disk in clear");
    }
    assert_eq!(secret_of(&store, &stored.id), "secret-never-on-disk");
    drop(store);
    let disk = everything_on_disk(dir.path());
    for text in never_in_clear {
        assert!(
            !contains(&disk, text),
            "{text} is on disk in clear after closing"
        );
    }
}
