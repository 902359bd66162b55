//! The six baseline modules, driven through the registry by name with JSON against a real
//! S3-compatible server (s3s-fs, in-process on 127.0.0.1).

use base64::Engine as _;
use connector_core::{ErrorKind, Registry};
use futures_util::StreamExt;
use integration_tests::{Moto, SPECIAL_KEYS, TEST_SECRET_KEY, TestStore, column, s3_modules};
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Splits a key into the folder (with its trailing '/') and file name Upload File takes.
fn folder_and_name(key: &str) -> (String, String) {
    match key.rfind('/') {
        Some(i) => (key[..=i].to_owned(), key[i + 1..].to_owned()),
        None => (String::new(), key.to_owned()),
    }
}

async fn upload_text(t: &TestStore, bucket: &str, key: &str, text: &str) -> Value {
    let (folder, file_name) = folder_and_name(key);
    t.ok(
        "upload_file",
        json!({"bucket": bucket, "folder": folder, "file_name": file_name, "source": {"text": text}}),
    )
    .await
}

#[test]
fn the_registry_holds_every_module() {
    let names: Vec<&str> = Registry::global().modules().map(|m| m.name()).collect();
    assert_eq!(names, s3_modules::module_names());
    for module in Registry::global().modules() {
        assert!(!module.label().is_empty() && !module.description().is_empty());
    }
}

#[tokio::test]
async fn create_upload_and_get_back() {
    let t = TestStore::start().await;
    let created = t.ok("create_bucket", json!({"bucket": "photos"})).await;
    assert_eq!(created["bucket"], "photos");
    assert_eq!(created["region"], "us-east-1");

    let up = t
        .ok(
            "upload_file",
            json!({
                "bucket": "photos", "folder": "work/Ibexa Connect", "file_name": "notes.txt",
                "source": {"text": "hello, world\n"},
                "metadata": {"author": "someone", "project": "x-1"},
                "headers": {"Cache-Control": "max-age=60", "Content-Disposition": "attachment"}
            }),
        )
        .await;
    assert_eq!(up["key"], "work/Ibexa Connect/notes.txt");
    assert_eq!(up["size"], 13);
    assert_eq!(up["content_type"], "text/plain; charset=utf-8");
    // A simple upload's ETag is the MD5 of the content.
    assert_eq!(up["etag"], format!("{:032x}", md5_of(b"hello, world\n")));

    let got = t
        .ok(
            "get_file",
            json!({"bucket": "photos", "key": "work/Ibexa Connect/notes.txt"}),
        )
        .await;
    assert_eq!(got["content_text"], "hello, world\n");
    assert_eq!(got["content_base64"], b64(b"hello, world\n"));
    assert_eq!(got["size"], 13);
    assert_eq!(got["etag"], up["etag"]);
    assert_eq!(
        got["metadata"],
        json!({"author": "someone", "project": "x-1"})
    );
    assert!(
        got["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(got["last_modified"].as_str().unwrap().ends_with('Z'));
}

fn md5_of(bytes: &[u8]) -> u128 {
    // The ETag as hex, computed independently of the connector's own MD5 code.
    let digest = {
        use std::process::Command;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new("md5sum").arg(&path).output().unwrap();
        String::from_utf8(out.stdout).unwrap()[..32].to_owned()
    };
    u128::from_str_radix(&digest, 16).unwrap()
}

/// Keys with every special character a person is likely to use round-trip byte for byte.
#[tokio::test]
async fn special_keys_round_trip_exactly() {
    let t = TestStore::start().await;
    t.bucket("special").await;
    let keys = SPECIAL_KEYS;
    for (i, key) in keys.iter().enumerate() {
        let content = format!("content {i} of {key}");
        let up = upload_text(&t, "special", key, &content).await;
        assert_eq!(up["key"], *key);
        let got = t
            .ok("get_file", json!({"bucket": "special", "key": key}))
            .await;
        assert_eq!(got["content_text"], content, "{key}");
        assert_eq!(got["key"], *key);
    }
    // Keys s3s-fs lists faithfully (it stores objects as files, so '+', '//' and '%XX' are not).
    let listing = t
        .ok(
            "list_files",
            json!({"bucket": "special", "recursive": true}),
        )
        .await;
    let listed = column(&listing, "files", "key");
    for key in [
        "with space.txt",
        "unicode/ünïcödé/日本語/файл.txt",
        "emoji 🎉.txt",
    ] {
        assert!(listed.iter().any(|k| k == key), "{key} not in {listed:?}");
    }
}

/// Every special key, including a leading `/`, round-trips and lists exactly on a server that
/// stores keys faithfully (moto).
#[tokio::test]
async fn special_keys_round_trip_and_list_exactly_on_moto() {
    let Some(moto) = Moto::start() else { return };
    moto.ok("create_bucket", json!({"bucket": "special"})).await;
    let mut keys = vec![
        "/leading-slash.txt",
        "//two-leading.txt",
        "with space.txt",
        "plus+sign.txt",
        "percent%41%2F.txt",
        "double//slash.txt",
        "punct/+ = : @ , ; ! ' * $ ( ) [ ] | & ~ %.txt",
        "unicode/ünïcödé/日本語/файл.txt",
        "trailing space .txt",
    ];
    for (i, key) in keys.iter().enumerate() {
        let (folder, file_name) = folder_and_name(key);
        let content = format!("content {i} of {key}");
        let up = moto
            .ok(
                "upload_file",
                json!({"bucket": "special", "folder": folder, "file_name": file_name,
                       "source": {"text": content}}),
            )
            .await;
        assert_eq!(up["key"], *key);
        let got = moto
            .ok("get_file", json!({"bucket": "special", "key": key}))
            .await;
        assert_eq!(got["content_text"], content, "{key}");
    }
    let listing = moto
        .ok(
            "list_files",
            json!({"bucket": "special", "recursive": true}),
        )
        .await;
    let mut listed = column(&listing, "files", "key");
    listed.sort();
    keys.sort();
    assert_eq!(listed, keys);
    let folders = moto.ok("list_folders", json!({"bucket": "special"})).await;
    // "double//slash.txt" is in the folder "double/" (whose subfolder has an empty name).
    assert_eq!(
        column(&folders, "folders", "prefix"),
        ["/", "double/", "punct/", "unicode/"]
    );

    // A folder placeholder, as consoles create them (a zero-byte key ending in '/'), is a
    // folder and not a file.
    moto.ok(
        "make_api_call",
        json!({"method": "PUT", "url": "/special/empty/"}),
    )
    .await;
    let top = moto.ok("list_files", json!({"bucket": "special"})).await;
    assert!(!column(&top, "files", "key").contains(&"empty/".to_owned()));
    let all = moto
        .ok(
            "list_files",
            json!({"bucket": "special", "recursive": true}),
        )
        .await;
    assert!(!column(&all, "files", "key").contains(&"empty/".to_owned()));
    let folders = moto.ok("list_folders", json!({"bucket": "special"})).await;
    assert!(column(&folders, "folders", "prefix").contains(&"empty/".to_owned()));
}

#[tokio::test]
async fn listing_folders_nested_three_deep() {
    let t = TestStore::start().await;
    t.bucket("tree").await;
    for key in [
        "root.txt",
        "a/top.txt",
        "a/b/middle.txt",
        "a/b/c/deep.txt",
        "a/b/c/deeper.txt",
        "x/y/z/only-deep.txt",
    ] {
        upload_text(&t, "tree", key, key).await;
    }

    let top = t.ok("list_files", json!({"bucket": "tree"})).await;
    assert_eq!(column(&top, "files", "key"), ["root.txt"]);
    assert_eq!(top["truncated"], false);

    let a = t
        .ok("list_files", json!({"bucket": "tree", "prefix": "a"}))
        .await;
    assert_eq!(column(&a, "files", "key"), ["a/top.txt"]);
    assert_eq!(column(&a, "files", "name"), ["top.txt"]);

    let deep = t
        .ok(
            "list_files",
            json!({"bucket": "tree", "prefix": "a/", "recursive": true}),
        )
        .await;
    assert_eq!(
        column(&deep, "files", "key"),
        [
            "a/b/c/deep.txt",
            "a/b/c/deeper.txt",
            "a/b/middle.txt",
            "a/top.txt"
        ]
    );
    let first = &deep["files"][0];
    assert_eq!(first["size"], "a/b/c/deep.txt".len());
    assert!(first["last_modified"].as_str().unwrap().starts_with("20"));

    let root_folders = t.ok("list_folders", json!({"bucket": "tree"})).await;
    assert_eq!(column(&root_folders, "folders", "prefix"), ["a/", "x/"]);
    let in_a = t
        .ok("list_folders", json!({"bucket": "tree", "prefix": "a"}))
        .await;
    assert_eq!(column(&in_a, "folders", "prefix"), ["a/b/"]);
    assert_eq!(column(&in_a, "folders", "name"), ["b"]);
    // Folders that exist only because files are stored under them.
    let implicit = t
        .ok("list_folders", json!({"bucket": "tree", "prefix": "x/y"}))
        .await;
    assert_eq!(column(&implicit, "folders", "prefix"), ["x/y/z/"]);
}

#[tokio::test]
async fn listings_page_past_a_thousand_keys() {
    let t = TestStore::start().await;
    t.bucket("many").await;
    let total = 1050;
    let uploads = futures_util::stream::iter(0..total)
        .map(|i| {
            let t = &t;
            async move {
                t.ok(
                    "upload_file",
                    json!({"bucket": "many", "folder": format!("d/f{i:04}"), "file_name": "x.txt",
                           "source": {"text": "x"}}),
                )
                .await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    uploads.await;

    let all = t
        .ok(
            "list_files",
            json!({"bucket": "many", "prefix": "d", "recursive": true}),
        )
        .await;
    assert_eq!(all["files"].as_array().unwrap().len(), total);
    assert_eq!(all["truncated"], false);

    let first = t
        .ok(
            "list_files",
            json!({"bucket": "many", "prefix": "d", "recursive": true, "limit": 1001}),
        )
        .await;
    assert_eq!(first["files"].as_array().unwrap().len(), 1001);
    assert_eq!(first["truncated"], true);
    let token = first["next_continuation_token"].as_str().unwrap();
    let rest = t
        .ok(
            "list_files",
            json!({"bucket": "many", "prefix": "d", "recursive": true, "continuation_token": token}),
        )
        .await;
    let rest_keys = column(&rest, "files", "key");
    assert_eq!(rest_keys.len(), total - 1001);
    assert_eq!(rest_keys[0], format!("d/f{:04}/x.txt", 1001));

    let folders = t
        .ok("list_folders", json!({"bucket": "many", "prefix": "d"}))
        .await;
    assert_eq!(folders["folders"].as_array().unwrap().len(), total);
    let some = t
        .ok(
            "list_folders",
            json!({"bucket": "many", "prefix": "d", "limit": 10}),
        )
        .await;
    assert_eq!(column(&some, "folders", "name")[9], "f0009");
    assert_eq!(some["truncated"], true);
}

#[tokio::test]
async fn a_wrong_secret_is_a_signature_mismatch() {
    let t = TestStore::start().await;
    t.bucket("secure").await;
    let mut wrong = t.connection();
    wrong.secret_access_key = connector_core::Secret::new("not-the-right-secret");
    let err = t
        .run_with(wrong, "list_files", json!({"bucket": "secure"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::SignatureMismatch,
        "{}",
        err.to_json()
    );
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert!(err.message().contains("SignatureDoesNotMatch"));
    assert_eq!(err.status(), Some(403));
    let json = err.to_json().to_string();
    assert!(!json.contains("not-the-right-secret") && !json.contains(TEST_SECRET_KEY));
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let t = TestStore::start().await;
    let before = t.requests();
    let cases = [
        ("create_bucket", json!({"bucket": "Bad_Name"}), "bucket"),
        ("create_bucket", json!({"bucket": "ab"}), "bucket"),
        ("get_file", json!({"bucket": "b", "key": ""}), "key"),
        ("get_file", json!({"bucket": "b", "key": "a/../b"}), "key"),
        (
            "get_file",
            json!({"bucket": "b", "key": "k".repeat(1025)}),
            "key",
        ),
        (
            "get_file",
            json!({"bucket": "b", "key": "k", "range": "ten bytes"}),
            "range",
        ),
        (
            "get_file",
            json!({"bucket": "not a bucket", "key": "k"}),
            "bucket",
        ),
        ("get_file", json!({"bucket": "b"}), "key"),
        (
            "get_file",
            json!({"bucket": "b", "key": "k", "sav_to": "x"}),
            "sav_to",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {}}),
            "source",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {"text": "x", "base64": "eA=="}}),
            "source",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {"base64": "!!"}}),
            "source.base64",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {"text": "x"}, "headers": {"Authorization": "x"}}),
            "headers.Authorization",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {"text": "x"}, "headers": {"Cache-Control": "a\nb"}}),
            "headers.Cache-Control",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {"text": "x"}, "metadata": {"note": "naïve"}}),
            "metadata.note",
        ),
        (
            "upload_file",
            json!({"bucket": "b", "file_name": "f", "source": {"path": "/definitely/not/here"}}),
            "source.path",
        ),
        ("list_files", json!({"bucket": "b", "limit": 0}), "limit"),
        (
            "make_api_call",
            json!({"method": "GET", "url": "https://example.com/b"}),
            "url",
        ),
        (
            "make_api_call",
            json!({"method": "GET", "url": "/b", "headers": {"X-Amz-Date": "x"}}),
            "headers.X-Amz-Date",
        ),
        (
            "make_api_call",
            json!({"method": "PATCH", "url": "/b"}),
            "method",
        ),
        (
            "make_api_call",
            json!({"method": "PUT", "url": "/b/k", "body": "x", "body_base64": "eA=="}),
            "body_base64",
        ),
    ];
    for (module, input, field) in cases {
        let err = t.run(module, input.clone()).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "{module} {input}: {}",
            err.to_json()
        );
        assert_eq!(
            err.field(),
            Some(field),
            "{module} {input}: {}",
            err.to_json()
        );
        assert!(err.message().len() > 10);
    }
    assert_eq!(
        t.requests(),
        before,
        "the server saw a request for invalid input"
    );
}

#[tokio::test]
async fn files_from_disk_and_saved_to_disk() {
    let t = TestStore::start().await;
    t.bucket("disk").await;
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let source = dir.path().join("photo.jpg");
    std::fs::write(&source, &data).unwrap();

    let up = t
        .ok(
            "upload_file",
            json!({"bucket": "disk", "folder": "imgs", "file_name": "photo.jpg",
                   "source": {"path": source}}),
        )
        .await;
    assert_eq!(up["size"], data.len());
    assert_eq!(up["content_type"], "image/jpeg");

    let out_dir = dir.path().join("downloads");
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "disk", "key": "imgs/photo.jpg", "save_to": format!("{}/", out_dir.display())}),
        )
        .await;
    let saved = out_dir.join("photo.jpg");
    assert_eq!(got["saved_to"], saved.display().to_string());
    assert_eq!(got["size"], data.len());
    assert!(got.get("content_base64").is_none());
    assert_eq!(std::fs::read(&saved).unwrap(), data);
    let names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["photo.jpg"], "a temporary file was left behind");

    // Too big to return inline: a clear error pointing to save_to.
    let err = t
        .run(
            "get_file",
            json!({"bucket": "disk", "key": "imgs/photo.jpg", "max_inline_bytes": 1000}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("save_to"));
    assert!(err.message().contains("save_to"));

    // A range.
    let part = t
        .ok(
            "get_file",
            json!({"bucket": "disk", "key": "imgs/photo.jpg", "range": "10-19"}),
        )
        .await;
    assert_eq!(part["size"], 10);
    assert_eq!(part["content_base64"], b64(&data[10..20]));
    assert!(
        part["content_range"]
            .as_str()
            .unwrap()
            .starts_with("bytes 10-19/")
    );

    // A missing file: not_found, and no file is written.
    let missing = dir.path().join("missing.bin");
    let err = t
        .run(
            "get_file",
            json!({"bucket": "disk", "key": "nope", "save_to": missing}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!missing.exists());

    // Binary content from base64.
    let up = t
        .ok(
            "upload_file",
            json!({"bucket": "disk", "file_name": "blob", "source": {"base64": b64(&[0, 159, 255, 1])}}),
        )
        .await;
    assert_eq!(up["content_type"], "application/octet-stream");
    let got = t
        .ok("get_file", json!({"bucket": "disk", "key": "blob"}))
        .await;
    assert_eq!(got["content_base64"], b64(&[0, 159, 255, 1]));
    assert!(got.get("content_text").is_none());
}

#[tokio::test]
async fn raw_api_calls_are_signed_and_parsed() {
    let t = TestStore::start().await;
    t.ok(
        "make_api_call",
        json!({"method": "PUT", "url": "raw-bucket"}),
    )
    .await;
    let put = t
        .ok(
            "make_api_call",
            json!({"method": "PUT", "url": "/raw-bucket/dir/a b+c.txt", "body": "raw body",
                   "headers": {"Content-Type": "text/plain", "x-amz-meta-origin": "raw"}}),
        )
        .await;
    assert_eq!(put["status"], 200);
    assert!(put["headers"]["etag"].is_string());

    let got = t
        .ok(
            "get_file",
            json!({"bucket": "raw-bucket", "key": "dir/a b+c.txt"}),
        )
        .await;
    assert_eq!(got["content_text"], "raw body");
    assert_eq!(got["metadata"]["origin"], "raw");

    let listing = t
        .ok(
            "make_api_call",
            json!({"method": "GET", "url": "/raw-bucket?list-type=2", "query": {"prefix": "dir/"}}),
        )
        .await;
    assert_eq!(listing["status"], 200);
    assert_eq!(
        listing["xml"]["ListBucketResult"]["Contents"]["Key"],
        "dir/a b+c.txt"
    );
    assert!(
        listing["body"]
            .as_str()
            .unwrap()
            .contains("<ListBucketResult")
    );

    let head = t
        .ok(
            "make_api_call",
            json!({"method": "HEAD", "url": "/raw-bucket/dir/a b+c.txt"}),
        )
        .await;
    assert_eq!(head["headers"]["content-length"], "8");

    // Errors fail by default, with S3's code; or come back as output when asked.
    let err = t
        .run(
            "make_api_call",
            json!({"method": "GET", "url": "/raw-bucket/missing"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("NoSuchKey"));
    let out = t
        .ok(
            "make_api_call",
            json!({"method": "GET", "url": "/raw-bucket/missing", "allow_error_status": true}),
        )
        .await;
    assert_eq!(out["status"], 404);
    assert_eq!(out["xml"]["Error"]["Code"], "NoSuchKey");

    let deleted = t
        .ok(
            "make_api_call",
            json!({"method": "DELETE", "url": "/raw-bucket/dir/a b+c.txt"}),
        )
        .await;
    assert_eq!(deleted["status"], 204);
}

#[tokio::test]
async fn existing_buckets_and_missing_ones() {
    let t = TestStore::start().await;
    t.bucket("twice").await;
    let err = t
        .run("create_bucket", json!({"bucket": "twice"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{}", err.to_json());
    let err = t
        .run("list_files", json!({"bucket": "absent"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("NoSuchBucket"));
    assert!(err.request_id().is_some() || err.status() == Some(404));
}
