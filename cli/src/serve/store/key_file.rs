//! The key file `master.key`: read when present, else created so that processes starting at
//! the same moment all end up with the one key that was written.
//!
//! A new key is written whole to a temporary file (mode 0600) and flushed to disk, then
//! hard-linked to `master.key`. A link never replaces an existing file, so exactly one process
//! wins; the others find the winner's complete file there and read it. No process can see a
//! half-written key file.

use super::MASTER_KEY_VAR;
use super::crypto::{b64, decode_key, random};
use base64::Engine as _;
use connector_core::{Error, ErrorKind, Result};
use std::io::{ErrorKind as IoKind, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// The key in `path`, created (random, mode 0600) when there is none.
pub fn load_or_create(path: &Path) -> Result<[u8; 32]> {
    match read(path)? {
        Some(key) => Ok(key),
        None => create(path),
    }
}

/// The key in `path`; `None` when there is no such file.
fn read(path: &Path) -> Result<Option<[u8; 32]>> {
    match std::fs::read_to_string(path) {
        Ok(text) => decode_key(&text).map(Some).ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "{} is not a key (32 bytes as base64 or 64 hex digits): restore it from a \
                     backup, or set {MASTER_KEY_VAR} to the key the store was created with",
                    path.display()
                ),
            )
        }),
        Err(err) if err.kind() == IoKind::NotFound => Ok(None),
        Err(err) => Err(io_error("cannot read", path, err)),
    }
}

/// Writes a new key to `path` unless another process got there first; either way, the key
/// that is in `path` afterwards.
fn create(path: &Path) -> Result<[u8; 32]> {
    let key: [u8; 32] = random()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".master.key.")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|err| io_error("cannot create a key file in", dir, err))?;
    temp.write_all(b64().encode(key).as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|err| io_error("cannot write", temp.path(), err))?;
    // The temporary file is removed when `temp` is dropped; the link stays.
    match std::fs::hard_link(temp.path(), path) {
        Ok(()) => {
            // The new name reaches the disk with the folder.
            if let Ok(folder) = std::fs::File::open(dir) {
                let _ = folder.sync_all();
            }
            Ok(key)
        }
        Err(err) if err.kind() == IoKind::AlreadyExists => read(path)?.ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                format!("{} appeared and vanished while starting", path.display()),
            )
        }),
        Err(err) => Err(Error::new(
            ErrorKind::Server,
            format!(
                "cannot create {}: {err} (the key file is linked into place: use a folder that \
                 allows hard links, or set {MASTER_KEY_VAR})",
                path.display()
            ),
        )),
    }
}

fn io_error(what: &str, path: &Path, err: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Server,
        format!("{what} {}: {err}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_is_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let key = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap(), key);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["master.key"]);
    }

    #[test]
    fn a_damaged_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, "").unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.message().contains("is not a key"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }
}
