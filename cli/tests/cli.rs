//! The `s3-connector` binary end to end: JSON in and out, errors on stderr with exit codes by
//! kind, connections from the environment and from a file, against the local store.

use s3_connector::local_store::{LocalStore, LocalStoreConfig};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Output, Stdio};

const AWS_VARS: [&str; 7] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
];

fn command(env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    for var in AWS_VARS
        .iter()
        .chain(["S3C_CONNECTION", "AWS_PROFILE"].iter())
    {
        cmd.env_remove(var);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

async fn run(env: Vec<(String, String)>, args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let mut child = command(&env)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn store_env(store: &LocalStore) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), store.access_key().into()),
        ("AWS_SECRET_ACCESS_KEY".into(), store.secret_key().into()),
        ("AWS_ENDPOINT_URL".into(), store.endpoint()),
    ]
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_reads_json_and_the_aws_environment() {
    let store = LocalStore::start(LocalStoreConfig::default())
        .await
        .unwrap();
    let env = store_env(&store);
    let out = run(
        env.clone(),
        args(&[
            "run",
            "create_bucket",
            "--json",
            r#"{"bucket":"cli-bucket"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(stdout_json(&out)["bucket"], "cli-bucket");

    let input = json!({"bucket": "cli-bucket", "folder": "a", "file_name": "b.txt", "source": {"text": "from stdin"}});
    let out = run(
        env.clone(),
        args(&["run", "upload_file", "--input", "-"]),
        Some(input.to_string()),
    )
    .await;
    assert_eq!(stdout_json(&out)["key"], "a/b.txt");

    let out = run(
        env.clone(),
        args(&[
            "run",
            "get_file",
            "--json",
            r#"{"bucket":"cli-bucket","key":"a/b.txt"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(stdout_json(&out)["content_text"], "from stdin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_file_works_and_errors_are_json_with_exit_codes() {
    let store = LocalStore::start(LocalStoreConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("connection.json");
    std::fs::write(
        &file,
        json!({"access_key_id": store.access_key(), "secret_access_key": store.secret_key(),
               "endpoint_url": store.endpoint()})
        .to_string(),
    )
    .unwrap();
    let file = file.display().to_string();
    let out = run(
        vec![],
        args(&[
            "run",
            "create_bucket",
            "--connection",
            &file,
            "--json",
            r#"{"bucket":"from-file"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(stdout_json(&out)["bucket"], "from-file");

    // A wrong secret: signature_mismatch, exit 4, JSON on stderr, and no secret in it.
    let wrong = vec![
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            store.access_key().to_owned(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            "wrong-secret-value-123".to_owned(),
        ),
        ("AWS_ENDPOINT_URL".to_owned(), store.endpoint()),
    ];
    let out = run(
        wrong,
        args(&["run", "list_files", "--json", r#"{"bucket":"from-file"}"#]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(4));
    let err: Value = serde_json::from_slice(&out.stderr).expect("JSON error on stderr");
    assert_eq!(err["kind"], "signature_mismatch");
    assert_eq!(err["code"], "SignatureDoesNotMatch");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("wrong-secret-value-123"));
    assert!(out.stdout.is_empty());

    // Invalid input: exit 2, naming the field, before credentials are even looked for.
    let out = run(
        vec![],
        args(&["run", "create_bucket", "--json", r#"{"bucket":"No"}"#]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["field"], "bucket");

    // Not found: exit 6.
    let out = run(
        store_env(&store),
        args(&[
            "run",
            "get_file",
            "--json",
            r#"{"bucket":"from-file","key":"none"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modules_schema_and_demo() {
    let out = run(vec![], args(&["modules", "--json"]), None).await;
    let modules = stdout_json(&out);
    assert_eq!(
        modules.as_array().unwrap().len(),
        s3_connector::s3_modules::MODULE_NAMES.len()
    );

    let out = run(vec![], args(&["schema", "upload_file"]), None).await;
    assert_eq!(stdout_json(&out)["title"], "Upload File");
    let out = run(vec![], args(&["schema", "upload_file", "--output"]), None).await;
    assert_eq!(stdout_json(&out)["title"], "Upload File: output");

    let out = run(vec![], args(&["demo"]), None).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for (module, _) in s3_connector::demo::steps() {
        assert!(
            text.contains(&format!(": {module}\n")),
            "demo skipped {module}"
        );
    }
    for baseline in [
        "create_bucket",
        "upload_file",
        "list_files",
        "list_folders",
        "get_file",
        "make_api_call",
    ] {
        assert!(
            text.contains(&format!(": {baseline}\n")),
            "demo lacks {baseline}"
        );
    }
    assert!(text.contains("Quarterly numbers: all good."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_of_the_shared_aws_files() {
    let store = LocalStore::start(LocalStoreConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &config,
        format!(
            "[profile local]\nregion = us-east-1\nendpoint_url = {}\n",
            store.endpoint()
        ),
    )
    .unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[local]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            store.access_key(),
            store.secret_key()
        ),
    )
    .unwrap();
    let env = vec![
        ("AWS_CONFIG_FILE".to_owned(), config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            credentials.display().to_string(),
        ),
    ];
    let out = run(
        env.clone(),
        args(&[
            "run",
            "create_bucket",
            "--profile",
            "local",
            "--json",
            r#"{"bucket":"from-profile"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(stdout_json(&out)["bucket"], "from-profile");

    let mut with_aws_profile = env.clone();
    with_aws_profile.push(("AWS_PROFILE".to_owned(), "local".to_owned()));
    let out = run(
        with_aws_profile,
        args(&[
            "run",
            "list_files",
            "--json",
            r#"{"bucket":"from-profile"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(stdout_json(&out)["files"], json!([]));

    let out = run(
        env,
        args(&[
            "run",
            "list_files",
            "--profile",
            "nope",
            "--json",
            r#"{"bucket":"x"}"#,
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(
        err["message"].as_str().unwrap().contains("\"nope\""),
        "{err}"
    );
}
