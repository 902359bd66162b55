//! The scenario-builder page end to end in a real browser (Debian's chromium, driven headless
//! by playwright-core from tests/browser/e2e.mjs): create a bucket, upload a file through the
//! form, list files, make a presigned URL and fetch it, see a field error highlighted.
//! Screenshots go to tests/artifacts/.

use s3_connector::serve::{self, ServeConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_works_in_a_real_browser() {
    let Ok(node) = std::env::var("S3C_TEST_NODE") else {
        if std::env::var("S3C_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
            panic!("S3C_TEST_NODE is not set: run the tests with scripts/test");
        }
        eprintln!("skipped: S3C_TEST_NODE is not set (scripts/test sets up node and chromium)");
        return;
    };
    let state = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), state.path().to_owned());
    config.local = true;
    let server = serve::start(config).await.expect("start the service");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let script = format!("{root}/tests/browser/e2e.mjs");
    let artifacts = format!("{root}/tests/artifacts");
    let url = server.url();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(node)
            .args([script.as_str(), url.as_str(), artifacts.as_str()])
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    server.shutdown().await;
    assert!(
        output.status.success(),
        "the browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
