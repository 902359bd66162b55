//! The HTTP contract, checked by a fuzzer nobody here wrote: schemathesis reads the service's
//! own `/openapi.json` and sends schema-valid and schema-invalid requests to every operation.
//! It fails the test on a 5xx, on a schema-valid request the service refuses, on a
//! schema-invalid request the service accepts, and on a status, content type, header or body
//! the document does not declare. Settings: `tests/contract/schemathesis.toml`; the hooks that
//! keep every request on loopback: `tests/contract/hooks.py`.

use s3_connector::serve::{self, ServeConfig};
use serde_json::Value;
use std::path::Path;
use std::time::Instant;

/// The directory of the contract test's settings and hooks.
const CONTRACT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contract");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_keeps_its_openapi_contract() {
    let Ok(python) = std::env::var("S3C_TEST_TOOLS_PYTHON") else {
        if std::env::var("S3C_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
            panic!("S3C_TEST_TOOLS_PYTHON is not set: run the tests with scripts/test");
        }
        eprintln!("skipped: S3C_TEST_TOOLS_PYTHON is not set (scripts/test sets it up)");
        return;
    };
    let state = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), state.path().to_owned());
    // The embedded local store, with a stored connection named `local` to it; no local files.
    config.local = true;
    let server = serve::start(config).await.expect("start the service");
    let base = server.url();

    let connections: Value = reqwest::get(format!("{base}/v1/connections"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let local = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "local")
        .expect("the local connection is stored");
    let local_id = local["id"].as_str().unwrap().to_owned();
    let local_endpoint = local["endpoint_url"].as_str().unwrap().to_owned();

    let reports = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let schema_url = format!("{base}/openapi.json");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .current_dir(CONTRACT_DIR)
            .args(["-m", "schemathesis.cli", "--no-color", "--config-file"])
            .arg(Path::new(CONTRACT_DIR).join("schemathesis.toml"))
            .args(["run", &schema_url, "--url", &base, "--report-dir"])
            .arg(reports.path())
            .env(
                "SCHEMATHESIS_HOOKS",
                Path::new(CONTRACT_DIR).join("hooks.py"),
            )
            .env("S3C_CONTRACT_CONNECTION_ID", &local_id)
            .env("S3C_CONTRACT_ENDPOINT", &local_endpoint)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    println!("schemathesis ran for {:.0?}", started.elapsed());
    server.shutdown().await;
    assert!(
        output.status.success(),
        "schemathesis found requests or answers that break the contract (above)"
    );
}
