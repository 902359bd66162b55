//! Local files of Get File (`save_to`) and Upload File (`source.path`) against s3s-fs
//! in-process: confined to a files folder as the service's `--files-dir` does, and read from
//! anywhere as the CLI does.

use connector_core::framework::local_files::LocalFiles;
use connector_core::{Context, ErrorKind, Registry, Result};
use integration_tests::TestStore;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A store with bucket `files` holding `in.txt`, and a files folder `files` (with a
/// subfolder `sub`) inside a temporary directory that has other entries beside it.
struct Setup {
    t: TestStore,
    top: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    async fn new() -> Setup {
        let t = TestStore::start().await;
        t.bucket("files").await;
        t.ok(
            "upload_file",
            json!({"bucket": "files", "file_name": "in.txt", "source": {"text": "content"}}),
        )
        .await;
        let top = tempfile::tempdir().unwrap();
        let root = top.path().canonicalize().unwrap().join("files");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(top.path().join("sibling")).unwrap();
        Setup { t, top, root }
    }

    /// Runs `name` confined to the files folder.
    async fn run_under(&self, name: &str, input: Value) -> Result<Value> {
        let ctx = Context::new(self.t.connection())
            .unwrap()
            .with_local_files(LocalFiles::Under(self.root.clone()));
        Registry::global().invoke(&ctx, name, input).await
    }

    /// The names in the folder around the files folder.
    fn around(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.top.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

#[tokio::test]
async fn a_folder_of_the_files_folder_is_found_there_not_in_the_working_directory() {
    let s = Setup::new().await;
    // `sub` exists in the files folder, not where the tests run.
    assert!(!Path::new("sub").exists());
    let got = s
        .run_under(
            "get_file",
            json!({"bucket": "files", "key": "in.txt", "save_to": "sub"}),
        )
        .await
        .unwrap_or_else(|err| panic!("{}", err.to_json()));
    let saved = s.root.join("sub/in.txt");
    assert_eq!(got["saved_to"], saved.display().to_string());
    assert_eq!(std::fs::read(&saved).unwrap(), b"content");

    // The files folder itself, by any name, receives the file under its own name.
    for save_to in [".", "./", "", "/"].map(|rest| {
        if rest == "/" {
            format!("{}/", s.root.display())
        } else if rest.is_empty() {
            s.root.display().to_string()
        } else {
            rest.to_owned()
        }
    }) {
        std::fs::remove_file(s.root.join("in.txt")).ok();
        s.run_under(
            "get_file",
            json!({"bucket": "files", "key": "in.txt", "save_to": save_to}),
        )
        .await
        .unwrap_or_else(|err| panic!("{save_to}: {}", err.to_json()));
        assert_eq!(std::fs::read(s.root.join("in.txt")).unwrap(), b"content");
    }
    assert_eq!(s.around(), ["files", "sibling"]);
}

#[tokio::test]
async fn a_key_without_a_file_name_is_refused_before_anything_is_written() {
    let s = Setup::new().await;
    // Keys ending in `/` name no file: saved into a folder, the destination would be the
    // folder itself (the files folder, with `.`), its temporary file beside it outside.
    for key in ["folder//", "/"] {
        for save_to in [".", "sub/"] {
            let before = s.t.requests();
            let err = s
                .run_under(
                    "get_file",
                    json!({"bucket": "files", "key": key, "save_to": save_to}),
                )
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind(), err.field()),
                (ErrorKind::InvalidInput, Some("save_to")),
                "{key:?} into {save_to:?}: {}",
                err.to_json()
            );
            assert_eq!(s.t.requests(), before, "nothing is sent");
        }
    }
    assert_eq!(s.around(), ["files", "sibling"]);
}

#[tokio::test]
async fn outside_paths_are_refused_alike_whether_they_exist_or_not() {
    let s = Setup::new().await;
    let top = s.top.path().display().to_string();
    let outside = [
        "/etc".to_owned(),
        "/nonexistent-s3c-dir".to_owned(),
        "/etc/x".to_owned(),
        "/nonexistent-s3c-dir/x".to_owned(),
        "/etc/".to_owned(),
        format!("{top}/sibling"),
        format!("{top}/missing"),
        "../sibling".to_owned(),
        "../missing".to_owned(),
    ];
    let mut answers = Vec::new();
    for save_to in &outside {
        let err = s
            .run_under(
                "get_file",
                json!({"bucket": "files", "key": "in.txt", "save_to": save_to}),
            )
            .await
            .unwrap_err();
        answers.push((
            err.kind(),
            err.field().map(str::to_owned),
            err.message().replace(save_to.as_str(), "PATH"),
        ));
    }
    for (save_to, answer) in outside.iter().zip(&answers) {
        assert_eq!(answer, &answers[0], "{save_to} is answered differently");
    }
    assert_eq!(answers[0].0, ErrorKind::AccessDenied);
    assert_eq!(answers[0].1.as_deref(), Some("save_to"));
    assert_eq!(s.around(), ["files", "sibling"]);
}

#[tokio::test]
async fn a_folder_given_as_the_upload_source_is_invalid_input() {
    let s = Setup::new().await;
    let folder = s.root.join("sub");
    let before = s.t.requests();
    for run in [
        s.t.run(
            "upload_file",
            json!({"bucket": "files", "file_name": "x", "source": {"path": folder}}),
        )
        .await,
        s.run_under(
            "upload_file",
            json!({"bucket": "files", "file_name": "x", "source": {"path": "sub"}}),
        )
        .await,
    ] {
        let err = run.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err.to_json());
        assert_eq!(err.field(), Some("source.path"));
        assert!(!err.is_retryable());
        assert!(err.message().contains("folder"), "{}", err.message());
    }
    assert_eq!(s.t.requests(), before, "nothing is sent");
}

/// A source path the system cannot read for another reason than "missing" (here a path through
/// a file, which is not a folder) is a local-file error: `invalid_input` naming `source.path`,
/// not retryable, and nothing is sent. (It was a retryable `network` error.)
#[tokio::test]
async fn an_unreadable_upload_source_is_a_local_file_error() {
    let s = Setup::new().await;
    let file = s.root.join("plain.txt");
    std::fs::write(&file, "x").unwrap();
    let through_a_file = file.join("inner.txt");
    let before = s.t.requests();
    let err =
        s.t.run(
            "upload_file",
            json!({"bucket": "files", "file_name": "x", "source": {"path": through_a_file}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err.to_json());
    assert_eq!(err.field(), Some("source.path"));
    assert!(!err.is_retryable());
    assert!(
        err.message().contains("cannot read") && err.message().contains("inner.txt"),
        "{}",
        err.message()
    );
    assert!(matches!(
        err.origin(),
        connector_core::Origin::LocalFile { path, .. } if path.ends_with("inner.txt")
    ));
    assert_eq!(s.t.requests(), before, "nothing is sent");
}
