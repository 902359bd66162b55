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
    pub fn resolve(&self, field: &str, path: &Path) -> Result<PathBuf> {
        match self {
            LocalFiles::Anywhere => Ok(path.to_owned()),
            LocalFiles::Nowhere => Err(Error::new(
                ErrorKind::AccessDenied,
                "local files are disabled here: send the content as text or base64, or get it \
                 back in the output (a service can allow a folder with --files-dir)",
            )
            .with_field(field)),
            LocalFiles::Under(root) => {
                let outside = || {
                    Error::new(
                        ErrorKind::AccessDenied,
                        format!(
                            "{} is outside the folder files may be used in ({})",
                            path.display(),
                            root.display()
                        ),
                    )
                    .with_field(field)
                };
                if path.components().any(|c| matches!(c, Component::ParentDir))
                    || path.as_os_str() == "-"
                {
                    return Err(outside());
                }
                let full = if path.is_absolute() {
                    path.to_owned()
                } else {
                    root.join(path)
                };
                // Symbolic links are followed for the part that exists.
                let root = root.canonicalize().map_err(|_| outside())?;
                let existing = full.ancestors().find(|a| a.exists()).ok_or_else(outside)?;
                let real = existing.canonicalize().map_err(|_| outside())?;
                if real.starts_with(&root) {
                    Ok(full)
                } else {
                    Err(outside())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("files");
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
}
