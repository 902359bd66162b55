//! Buckets and folders: listing buckets, regions and redirects, folders, searching, option
//! lists for forms — through the registry by name with JSON against real servers.

use connector_core::{Context, ErrorKind, Registry};
use futures_util::StreamExt;
use integration_tests::{Ministack, Moto, TestStore, column};
use serde_json::{Value, json};

async fn upload(t: &TestStore, bucket: &str, folder: &str, name: &str, text: &str) {
    t.ok(
        "upload_file",
        json!({"bucket": bucket, "folder": folder, "file_name": name, "source": {"text": text}}),
    )
    .await;
}

/// A bucket in eu-west-1 reached from a connection set to us-east-1: S3 answers with a
/// redirect naming the region; the request is signed again for it and the region remembered.
#[tokio::test]
async fn buckets_in_other_regions_are_followed() {
    let Some(server) = Ministack::start() else {
        return;
    };
    let registry = Registry::global();
    let europe = Context::new(server.connection("eu-west-1")).unwrap();
    registry
        .invoke(
            &europe,
            "create_bucket",
            json!({"bucket": "eu-bucket", "region": "eu-west-1"}),
        )
        .await
        .unwrap();
    registry
        .invoke(
            &europe,
            "upload_file",
            json!({"bucket": "eu-bucket", "file_name": "a.txt", "source": {"text": "from europe"}}),
        )
        .await
        .unwrap();

    let america = Context::new(server.connection("us-east-1")).unwrap();
    assert_eq!(america.client().bucket_region("eu-bucket"), None);
    let got = registry
        .invoke(
            &america,
            "get_file",
            json!({"bucket": "eu-bucket", "key": "a.txt"}),
        )
        .await
        .unwrap();
    assert_eq!(got["content_text"], "from europe");
    assert_eq!(
        america.client().bucket_region("eu-bucket").as_deref(),
        Some("eu-west-1")
    );
    let listing = registry
        .invoke(&america, "list_files", json!({"bucket": "eu-bucket"}))
        .await
        .unwrap();
    assert_eq!(column(&listing, "files", "key"), ["a.txt"]);

    let fresh = Context::new(server.connection("us-east-1")).unwrap();
    let region = registry
        .invoke(&fresh, "get_bucket_region", json!({"bucket": "eu-bucket"}))
        .await
        .unwrap();
    assert_eq!(region["region"], "eu-west-1");
    let buckets = registry
        .invoke(&fresh, "list_buckets", json!({"include_region": true}))
        .await
        .unwrap();
    let eu = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "eu-bucket")
        .unwrap();
    assert_eq!(eu["region"], "eu-west-1");
}

#[tokio::test]
async fn buckets_regions_and_folders_on_s3s_fs() {
    let t = TestStore::start().await;
    for bucket in ["alpha-bucket", "beta-bucket", "beta-other"] {
        t.bucket(bucket).await;
    }
    let all = t.ok("list_buckets", json!({})).await;
    assert_eq!(
        column(&all, "buckets", "name"),
        ["alpha-bucket", "beta-bucket", "beta-other"]
    );
    assert!(
        all["buckets"][0]["creation_date"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );
    let beta = t.ok("list_buckets", json!({"prefix": "beta-"})).await;
    assert_eq!(
        column(&beta, "buckets", "name"),
        ["beta-bucket", "beta-other"]
    );
    let first = t.ok("list_buckets", json!({"limit": 1})).await;
    assert_eq!(column(&first, "buckets", "name"), ["alpha-bucket"]);
    assert_eq!(first["truncated"], true);

    let region = t
        .ok("get_bucket_region", json!({"bucket": "alpha-bucket"}))
        .await;
    assert_eq!(region["region"], "us-east-1");
    let err = t
        .run("get_bucket_region", json!({"bucket": "no-such-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());

    let err = t
        .run(
            "create_folder",
            json!({"bucket": "alpha-bucket", "folder": "/"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("folder"));
}

/// Empty folders (s3s-fs keeps objects as files and cannot list a folder placeholder, so moto).
#[tokio::test]
async fn empty_folders_are_listed_as_folders() {
    let Some(moto) = Moto::start() else { return };
    moto.ok("create_bucket", json!({"bucket": "folders"})).await;
    let folder = moto
        .ok(
            "create_folder",
            json!({"bucket": "folders", "folder": "reports/2026"}),
        )
        .await;
    assert_eq!(folder["key"], "reports/2026/");
    let top = moto.ok("list_folders", json!({"bucket": "folders"})).await;
    assert_eq!(column(&top, "folders", "name"), ["reports"]);
    let inner = moto
        .ok(
            "list_folders",
            json!({"bucket": "folders", "prefix": "reports"}),
        )
        .await;
    assert_eq!(column(&inner, "folders", "prefix"), ["reports/2026/"]);
    let files = moto
        .ok(
            "list_files",
            json!({"bucket": "folders", "prefix": "reports/2026", "recursive": true}),
        )
        .await;
    assert!(files["files"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn searching_files_by_name_size_and_time() {
    let t = TestStore::start().await;
    t.bucket("archive").await;
    for (folder, name, text) in [
        ("invoices/2025", "inv-001.pdf", "x"),
        ("invoices/2025", "inv-002.PDF", "xxxxxxxxxx"),
        ("invoices/2026", "inv-003.pdf", "xxxxx"),
        ("invoices/2026", "notes.txt", "notes"),
        ("photos", "IMG_0001.jpg", "jpg"),
    ] {
        upload(&t, "archive", folder, name, text).await;
    }
    let search = |input: Value| async { t.ok("search_files", input).await };

    let pdfs = search(json!({"bucket": "archive", "prefix": "invoices", "suffix": ".pdf"})).await;
    assert_eq!(
        column(&pdfs, "files", "key"),
        [
            "invoices/2025/inv-001.pdf",
            "invoices/2025/inv-002.PDF",
            "invoices/2026/inv-003.pdf"
        ]
    );
    let globbed = search(json!({"bucket": "archive", "name_glob": "inv-00[13].pdf"})).await;
    assert_eq!(
        column(&globbed, "files", "name"),
        ["inv-001.pdf", "inv-003.pdf"]
    );
    let any_case =
        search(json!({"bucket": "archive", "name_glob": "*.pdf", "ignore_case": true})).await;
    assert_eq!(any_case["files"].as_array().unwrap().len(), 3);
    let sized = search(json!({"bucket": "archive", "min_size": 4, "max_size": 5})).await;
    assert_eq!(
        column(&sized, "files", "name"),
        ["inv-003.pdf", "notes.txt"]
    );
    let top_only =
        search(json!({"bucket": "archive", "prefix": "photos", "recursive": false})).await;
    assert_eq!(column(&top_only, "files", "name"), ["IMG_0001.jpg"]);
    let recent =
        search(json!({"bucket": "archive", "modified_after": "2000-01-01T00:00:00Z"})).await;
    assert_eq!(recent["files"].as_array().unwrap().len(), 5);
    let old = search(json!({"bucket": "archive", "modified_before": "2000-01-01T00:00:00Z"})).await;
    assert!(old["files"].as_array().unwrap().is_empty());

    // A limit inside a page resumes exactly after the last file returned.
    let first =
        search(json!({"bucket": "archive", "suffix": ".pdf", "ignore_case": true, "limit": 2}))
            .await;
    assert_eq!(first["truncated"], true);
    let token = first["next_continuation_token"].as_str().unwrap();
    let rest =
        search(json!({"bucket": "archive", "suffix": ".pdf", "continuation_token": token})).await;
    assert_eq!(column(&rest, "files", "name"), ["inv-003.pdf"]);
    assert_eq!(rest["truncated"], false);

    let before = t.requests();
    for (input, field) in [
        (
            json!({"bucket": "archive", "name_glob": "[unclosed"}),
            "name_glob",
        ),
        (
            json!({"bucket": "archive", "min_size": 10, "max_size": 1}),
            "min_size",
        ),
        (
            json!({"bucket": "archive", "modified_after": "yesterday"}),
            "modified_after",
        ),
    ] {
        let err = t.run("search_files", input).await.unwrap_err();
        assert_eq!(err.field(), Some(field));
    }
    assert_eq!(t.requests(), before);
}

#[tokio::test]
async fn option_lists_fill_form_dropdowns() {
    let t = TestStore::start().await;
    for bucket in ["pick-one", "pick-two"] {
        t.bucket(bucket).await;
    }
    upload(&t, "pick-one", "music/jazz", "a.mp3", "a").await;
    upload(&t, "pick-one", "video", "b.mp4", "b").await;
    let registry = Registry::global();

    let buckets = registry
        .options(Some(&t.ctx), "buckets", &json!({}))
        .await
        .unwrap();
    let values: Vec<&str> = buckets.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["pick-one", "pick-two"]);

    let folders = registry
        .options(Some(&t.ctx), "folders", &json!({"bucket": "pick-one"}))
        .await
        .unwrap();
    let values: Vec<&str> = folders.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["music", "video"]);
    let inner = registry
        .options(
            Some(&t.ctx),
            "folders",
            &json!({"bucket": "pick-one", "prefix": "music"}),
        )
        .await
        .unwrap();
    assert_eq!(inner[0].value, "music/jazz");
    assert_eq!(inner[0].label, "jazz");

    let err = registry
        .options(Some(&t.ctx), "folders", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("bucket"));
    let regions = registry.options(None, "regions", &json!({})).await.unwrap();
    assert!(
        regions
            .iter()
            .any(|o| o.value == "eu-west-1" && o.label.contains("Ireland"))
    );
    let err = registry
        .options(None, "buckets", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn deleting_folders_in_batches_with_a_dry_run() {
    let t = TestStore::start().await;
    t.bucket("cleanup").await;
    let uploads = (0..1005).map(|i| {
        let t = &t;
        async move {
            upload(
                t,
                "cleanup",
                &format!("tmp/part-{}", i % 3),
                &format!("f{i:04}.txt"),
                "x",
            )
            .await
        }
    });
    futures_util::stream::iter(uploads)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    upload(&t, "cleanup", "tmp2", "keep.txt", "keep").await;
    upload(&t, "cleanup", "", "tmp.txt", "keep").await;

    let preview = t
        .ok(
            "delete_folder",
            json!({"bucket": "cleanup", "folder": "tmp", "dry_run": true}),
        )
        .await;
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["count"], 1005);
    assert_eq!(preview["keys"].as_array().unwrap().len(), 1000);
    let still = t
        .ok(
            "list_files",
            json!({"bucket": "cleanup", "prefix": "tmp", "recursive": true}),
        )
        .await;
    assert_eq!(still["files"].as_array().unwrap().len(), 1005);

    let before = t.requests();
    let done = t
        .ok(
            "delete_folder",
            json!({"bucket": "cleanup", "folder": "tmp/"}),
        )
        .await;
    assert_eq!(done["count"], 1005);
    assert!(done["failed"].as_array().unwrap().is_empty());
    // Two listing pages, two DeleteObjects requests.
    assert_eq!(t.requests() - before, 4);
    let left = t
        .ok(
            "list_files",
            json!({"bucket": "cleanup", "recursive": true}),
        )
        .await;
    assert_eq!(column(&left, "files", "key"), ["tmp.txt", "tmp2/keep.txt"]);

    let err = t
        .run("delete_folder", json!({"bucket": "cleanup", "folder": "/"}))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("folder"));
}

#[tokio::test]
async fn deleting_buckets_needs_force_when_they_have_files() {
    let t = TestStore::start().await;
    t.bucket("full-bucket").await;
    t.bucket("empty-bucket").await;
    upload(&t, "full-bucket", "a/b", "c.txt", "c").await;

    let gone = t
        .ok("delete_bucket", json!({"bucket": "empty-bucket"}))
        .await;
    assert_eq!(gone["deleted"], true);
    let err = t
        .run("delete_bucket", json!({"bucket": "full-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{}", err.to_json());
    assert!(err.message().contains("force"));
    let forced = t
        .ok(
            "delete_bucket",
            json!({"bucket": "full-bucket", "force": true}),
        )
        .await;
    assert_eq!(forced["objects_deleted"], 1);
    let buckets = t.ok("list_buckets", json!({})).await;
    assert!(buckets["buckets"].as_array().unwrap().is_empty());
}

/// Versions and unfinished uploads (moto implements both; s3s-fs neither).
#[tokio::test]
async fn force_deletes_every_version_and_unfinished_upload() {
    let Some(moto) = Moto::start() else { return };
    moto.ok("create_bucket", json!({"bucket": "versioned"}))
        .await;
    // A "null" version, stored before versioning is enabled.
    moto.ok(
        "upload_file",
        json!({"bucket": "versioned", "file_name": "old.txt", "source": {"text": "before"}}),
    )
    .await;
    moto.ok(
        "make_api_call",
        json!({"method": "PUT", "url": "/versioned?versioning",
               "body": "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>"}),
    )
    .await;
    for text in ["one", "two", "three"] {
        moto.ok(
            "upload_file",
            json!({"bucket": "versioned", "file_name": "doc.txt", "source": {"text": text}}),
        )
        .await;
    }
    moto.ok(
        "delete_file",
        json!({"bucket": "versioned", "key": "doc.txt"}),
    )
    .await;
    moto.ok(
        "make_api_call",
        json!({"method": "POST", "url": "/versioned/big.bin?uploads"}),
    )
    .await;

    let err = moto
        .run("delete_bucket", json!({"bucket": "versioned"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{}", err.to_json());
    let forced = moto
        .ok(
            "delete_bucket",
            json!({"bucket": "versioned", "force": true}),
        )
        .await;
    assert_eq!(forced["deleted"], true);
    assert_eq!(
        forced["objects_deleted"], 5,
        "a null version, three versions and a delete marker"
    );
    assert_eq!(forced["uploads_aborted"], 1);
}
