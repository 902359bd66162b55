//! Which local files modules may read and write (`source.path`, `save_to`). A program run by
//! its user may use any; a service reachable by others allows none, or only those under one
//! folder.

use crate::error::{Error, ErrorKind, Result};
use std::path::{Component, Path, PathBuf};

/// Where modules may read and write local files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LocalFiles {
    /// Anywhere the process may (the CLI, a library).
    #[default]
    Anywhere,
    /// Nowhere: content comes and goes as text or base64 (the HTTP service by default).
    Nowhere,
    /// Only under this folder; relative paths are taken from it.
    Under(PathBuf),
}

impl LocalFiles {
    /// The path a module may use for `path` given in `field`, or an error saying why not.
    ///
    /// Under a folder, the answer is an absolute path inside the folder's real location (symbolic
    /// links resolved for the part that exists), so it can be checked again after a file name is
    /// added to it. Every path outside the folder gets the same refusal, whether it exists or not.
    pub fn resolve(&self, field: &str, path: &Path) -> Result<PathBuf> {
        match self {
            LocalFiles::Anywhere => Ok(path.to_owned()),
            LocalFiles::Nowhere => Err(Error::new(
                ErrorKind::AccessDenied,
                "local files are disabled here: send the content as text or base64, or get it \
                 back in the output (a service can allow a folder with --files-dir)",
            )
            .with_field(field)),
            LocalFiles::Under(root) => resolve_under(root, field, path),
        }
    }
}

/// `path` inside `root`, or the one refusal given for every path outside it.
fn resolve_under(root: &Path, field: &str, path: &Path) -> Result<PathBuf> {
    // The same kind and wording for every outside path: nothing about what exists out there
    // is told (the folder's own name is the caller's to know).
    let outside = || {
        Error::new(
            ErrorKind::AccessDenied,
            format!(
                "{} is outside the folder files may be used in ({}): give a path inside it",
                path.display(),
                root.display()
            ),
        )
        .with_field(field)
    };
    if path.components().any(|c| matches!(c, Component::ParentDir)) || path.as_os_str() == "-" {
        return Err(outside());
    }
    let real_root = root.canonicalize().map_err(|err| {
        Error::new(
            ErrorKind::Server,
            format!("the files folder {} cannot be used: {err}", root.display()),
        )
    })?;
    let full = if path.is_absolute() {
        path.to_owned()
    } else {
        real_root.join(path)
    };
    // The deepest part that exists (a symbolic link counts, even a dangling one) is resolved;
    // the rest, which does not exist yet, is plain names.
    let (existing, rest) = split_existing(&full).ok_or_else(outside)?;
    let real = existing.canonicalize().map_err(|_| outside())?;
    if !real.starts_with(&real_root) {
        return Err(outside());
    }
    Ok(rest.iter().fold(real, |path, name| path.join(name)))
}

/// The longest leading part of `path` that exists, and the names after it.
fn split_existing(path: &Path) -> Option<(&Path, Vec<&std::ffi::OsStr>)> {
    let mut rest = Vec::new();
    let mut current = path;
    loop {
        if current.symlink_metadata().is_ok() {
            rest.reverse();
            return Some((current, rest));
        }
        match current.components().next_back()? {
            Component::Normal(name) => rest.push(name),
            // `.` is dropped by `components`; a root always exists; `..` was refused before.
            _ => return None,
        }
        current = current.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("files");
        std::fs::create_dir_all(root.join("in")).unwrap();
        let under = LocalFiles::Under(root.clone());
        assert_eq!(
            under.resolve("f", Path::new("in/a.txt")).unwrap(),
            root.join("in/a.txt")
        );
        under.resolve("f", &root.join("new/b.txt")).unwrap();
        for bad in ["../x", "/etc/passwd", "in/../../x", "-"] {
            let err = under.resolve("source.path", Path::new(bad)).unwrap_err();
            assert_eq!(err.field(), Some("source.path"), "{bad}");
        }
        std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
        assert!(under.resolve("f", Path::new("escape/passwd")).is_err());
        assert!(
            LocalFiles::Nowhere
                .resolve("save_to", Path::new("x"))
                .is_err()
        );
        assert_eq!(
            LocalFiles::Anywhere.resolve("f", Path::new("/x")).unwrap(),
            PathBuf::from("/x")
        );
    }

    #[test]
    fn answers_are_absolute_and_can_be_checked_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("files");
        std::fs::create_dir_all(root.join("in")).unwrap();
        let under = LocalFiles::Under(root.clone());
        for same in [".", "", "./", "in/..in", "in/./x"] {
            let resolved = under.resolve("f", Path::new(same)).unwrap();
            assert!(
                resolved.is_absolute() && resolved.starts_with(&root),
                "{same}"
            );
            assert_eq!(under.resolve("f", &resolved).unwrap(), resolved, "{same}");
        }
        assert_eq!(under.resolve("f", Path::new(".")).unwrap(), root);
        assert_eq!(
            under.resolve("f", Path::new("in/./x")).unwrap(),
            root.join("in/x")
        );
    }

    #[test]
    fn outside_paths_are_refused_alike_whether_they_exist_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("files");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(dir.path().join("sibling")).unwrap();
        // A link inside pointing to a place that does not exist (yet) outside.
        std::os::unix::fs::symlink(dir.path().join("later"), root.join("dangling")).unwrap();
        let under = LocalFiles::Under(root.clone());
        let outside = [
            dir.path().join("sibling"),
            dir.path().join("sibling/x"),
            dir.path().join("missing"),
            dir.path().join("missing/x"),
            PathBuf::from("/etc"),
            PathBuf::from("/nonexistent-s3c/x"),
            PathBuf::from("dangling"),
            PathBuf::from("dangling/x"),
        ];
        for path in &outside {
            let err = under.resolve("save_to", path).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", path.display());
            assert_eq!(err.field(), Some("save_to"));
            assert_eq!(
                err.message().replace(&path.display().to_string(), "PATH"),
                format!(
                    "PATH is outside the folder files may be used in ({}): give a path inside it",
                    root.display()
                )
            );
        }
    }
}
