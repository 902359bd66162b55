//! The demo: the embedded local store started in-process, and the six baseline modules run
//! against it in the order a first scenario would use them, then a download link.

use crate::local_store::{LocalStore, LocalStoreConfig};
use connector_core::{Context, Registry, Result};
use serde_json::{Value, json};

/// One step of the demo: a module and its input.
pub fn steps() -> Vec<(&'static str, Value)> {
    let bucket = "demo-bucket";
    vec![
        ("create_bucket", json!({"bucket": bucket})),
        (
            "upload_file",
            json!({"bucket": bucket, "folder": "reports/2026", "file_name": "summary.txt",
                   "source": {"text": "Quarterly numbers: all good.\n"},
                   "metadata": {"author": "demo"}}),
        ),
        (
            "upload_file",
            json!({"bucket": bucket, "folder": "photos/2019/February", "file_name": "image023.jpg",
                   "source": {"base64": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//2Q=="}}),
        ),
        (
            "upload_file",
            json!({"bucket": bucket, "file_name": "README.md", "source": {"text": "# Demo bucket\n"}}),
        ),
        ("list_files", json!({"bucket": bucket, "recursive": true})),
        ("list_folders", json!({"bucket": bucket})),
        (
            "get_file",
            json!({"bucket": bucket, "key": "reports/2026/summary.txt"}),
        ),
        (
            "make_api_call",
            json!({"method": "GET", "url": format!("/{bucket}?list-type=2&delimiter=/"),
                   "query": {"prefix": "photos/"}}),
        ),
        (
            "presign_url",
            json!({"bucket": bucket, "key": "reports/2026/summary.txt", "expires_in": 600,
                   "download_file_name": "Summary 2026.txt"}),
        ),
    ]
}

/// Starts a local store in a temporary directory, runs every step, and calls `report` with
/// each step's module, input and output. Stops at the first failing step.
pub async fn run(mut report: impl FnMut(usize, &str, &Value, &Value)) -> Result<()> {
    let store = LocalStore::start(LocalStoreConfig::default())
        .await
        .map_err(connector_core::Error::from)?;
    let ctx = Context::new(store.connection())?;
    for (index, (module, input)) in steps().into_iter().enumerate() {
        let output = Registry::global()
            .invoke(&ctx, module, input.clone())
            .await
            .map_err(|err| err.context(format!("demo step {} ({module})", index + 1)))?;
        report(index + 1, module, &input, &output);
    }
    store.stop().await;
    Ok(())
}
