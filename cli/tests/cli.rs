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
        .chain(["S3C_CONNECTION", "AWS_PROFILE", "S3C_LOG", "RUST_LOG"].iter())
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
async fn an_upload_from_standard_input_is_refused_when_it_carries_the_input() {
    // The JSON input comes on standard input, so the file cannot come there too: refused
    // naming source.path, before credentials are looked for (there are none here).
    let input = json!({"bucket": "b", "file_name": "x.txt", "source": {"path": "-"}});
    let out = run(
        vec![],
        args(&["run", "upload_file", "--input", "-"]),
        Some(input.to_string()),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err: Value = serde_json::from_slice(&out.stderr).expect("JSON error on stderr");
    assert_eq!(err["kind"], "invalid_input");
    assert_eq!(err["field"], "source.path");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("standard input already carries the JSON input"),
        "{err}"
    );
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
        s3_connector::s3_modules::module_names().len()
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

/// A base64 SSE-C key (the 32 bytes `sse-c-key-for-the-trace-log-test`) and its base64 MD5.
const SSE_C_KEY: &str = "c3NlLWMta2V5LWZvci10aGUtdHJhY2UtbG9nLXRlc3Q=";
const SSE_C_KEY_MD5: &str = "UGx6e1dlp6Nn/5P8q9POmA==";
const SESSION_TOKEN: &str = "session-token-for-the-trace-log-test-FQoGZXIvYXdz";

/// `s3-connector local --port 0` in a child process, with `S3C_LOG=trace`: its endpoint, and
/// everything it writes on stderr (read until it is stopped).
struct LocalProcess {
    child: std::process::Child,
    endpoint: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl LocalProcess {
    fn start(secret_key: &str) -> LocalProcess {
        let mut child = command(&[("S3C_LOG", "trace")])
            .args(["local", "--port", "0", "--secret-key", secret_key])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        // The first thing on stdout is a JSON document naming the endpoint.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        let endpoint = loop {
            let mut line = String::new();
            assert!(
                std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0,
                "the local store ended: {text}"
            );
            text.push_str(&line);
            if let Ok(started) = serde_json::from_str::<Value>(&text) {
                break started["endpoint"].as_str().unwrap().to_owned();
            }
        };
        LocalProcess {
            child,
            endpoint,
            stderr: Some(stderr),
        }
    }

    /// Stops it and returns its stderr.
    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.stderr.take().unwrap().join().unwrap()
    }
}

impl Drop for LocalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_hold_no_secrets() {
    let secret_key = "secret-access-key-for-the-trace-log-test";
    let store = LocalProcess::start(secret_key);
    let env = |log_var: &str| -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "s3c-local-access-key".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), secret_key.into()),
            ("AWS_SESSION_TOKEN".into(), SESSION_TOKEN.into()),
            ("AWS_ENDPOINT_URL".into(), store.endpoint.clone()),
            (log_var.into(), "trace".into()),
        ]
    };
    let sse_c = json!({
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": SSE_C_KEY,
        "x-amz-server-side-encryption-customer-key-MD5": SSE_C_KEY_MD5,
    });
    let out = run(
        env("S3C_LOG"),
        args(&["run", "create_bucket", "--json", r#"{"bucket":"traced"}"#]),
        None,
    )
    .await;
    stdout_json(&out);
    for log_var in ["S3C_LOG", "RUST_LOG"] {
        let mut stderr = String::new();
        let upload = json!({"bucket": "traced", "file_name": "secret.txt",
                            "source": {"text": "encrypted"}, "headers": sse_c});
        let download = json!({"method": "GET", "url": "traced/secret.txt", "headers": sse_c});
        let presign = json!({"method": "GET", "bucket": "traced", "key": "secret.txt"});
        for (module, input) in [
            ("upload_file", upload),
            ("make_api_call", download),
            ("presign_url", presign),
        ] {
            let out = run(
                env(log_var),
                args(&["run", module, "--json", &input.to_string()]),
                None,
            )
            .await;
            stdout_json(&out);
            stderr.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        assert!(stderr.contains("TRACE"), "{log_var}=trace logs nothing");
        for secret in [secret_key, SESSION_TOKEN, SSE_C_KEY] {
            assert!(
                !stderr.contains(secret),
                "{log_var}=trace logs {secret}:\n{stderr}"
            );
        }
    }
    // The store's own logs (its banner names its keys on purpose).
    let store_log = store.stop();
    assert!(store_log.contains("Serving"), "{store_log}");
    for secret in [SESSION_TOKEN, SSE_C_KEY] {
        assert!(
            !store_log.contains(secret),
            "the local store logs {secret}:\n{store_log}"
        );
    }
}

/// The mode bits of `path`, in octal.
fn mode(path: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    format!(
        "{:o}",
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_files_get_the_modes_cp_gives() {
    use std::os::unix::fs::PermissionsExt;
    let store = LocalStore::start(LocalStoreConfig::default())
        .await
        .unwrap();
    let env = store_env(&store);
    let out = run(
        env.clone(),
        args(&["run", "create_bucket", "--json", r#"{"bucket":"modes"}"#]),
        None,
    )
    .await;
    stdout_json(&out);
    let input = json!({"bucket": "modes", "file_name": "a.txt", "source": {"text": "content"}});
    let out = run(
        env.clone(),
        args(&["run", "upload_file", "--json", &input.to_string()]),
        None,
    )
    .await;
    stdout_json(&out);
    let dir = tempfile::tempdir().unwrap();
    // A whole file (parallel ranged download) and a range (one GET).
    for (how, range) in [("whole", None), ("range", Some("0-3"))] {
        let new = dir.path().join(format!("new-{how}.txt"));
        let private = dir.path().join(format!("private-{how}.txt"));
        std::fs::write(&private, b"old").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        for dest in [&new, &private] {
            let mut input = json!({"bucket": "modes", "key": "a.txt", "save_to": dest});
            if let Some(range) = range {
                input["range"] = json!(range);
            }
            // Under umask 027, as `sh -c 'umask 027; s3-connector …'`.
            let output = tokio::task::spawn_blocking({
                let env = env.clone();
                let input = input.to_string();
                move || {
                    let env: Vec<(&str, &str)> =
                        env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                    let cmd = command(&env);
                    let program = cmd.get_program().to_owned();
                    let mut sh = Command::new("sh");
                    sh.args(["-c", "umask 027 && exec \"$0\" \"$@\""])
                        .arg(program)
                        .args(["run", "get_file", "--json", &input]);
                    for (name, value) in cmd.get_envs() {
                        match value {
                            Some(value) => sh.env(name, value),
                            None => sh.env_remove(name),
                        };
                    }
                    sh.stdin(Stdio::null()).output().unwrap()
                }
            })
            .await
            .unwrap();
            stdout_json(&output);
        }
        assert!(std::fs::read(&new).unwrap().starts_with(b"cont"));
        assert_eq!(
            mode(&new),
            "640",
            "{how}: a new file is 0666 less the umask"
        );
        assert_eq!(
            mode(&private),
            "600",
            "{how}: a replaced file keeps its mode"
        );
    }
}

/// The binary running in the background; killed if the test ends first.
struct Running(Option<std::process::Child>);

impl Running {
    fn start(env: &[(String, String)], args: &[String]) -> Running {
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let child = command(&env)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running(Some(child))
    }

    /// Sends it `signal` (`INT`, `TERM`) with kill(1).
    fn signal(&self, signal: &str) {
        let pid = self.0.as_ref().unwrap().id().to_string();
        let sent = Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Whether it is still running.
    fn running(&mut self) -> bool {
        self.0.as_mut().unwrap().try_wait().unwrap().is_none()
    }

    /// Waits for it to end.
    async fn output(mut self) -> Output {
        let child = self.0.take().unwrap();
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits until `ready` holds, checking every 20 ms; fails the test after 60 s (or when the
/// binary ended first) naming `what`.
async fn wait_until(what: &str, running: &mut Running, mut ready: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if ready() {
            return;
        }
        assert!(running.running(), "the binary ended before {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what} did not happen within 60 s");
}

/// A named pipe at `path` fed with `bytes`, then held open (silent) until the answer is
/// dropped: a source that is slow to come.
fn slow_source(path: &std::path::Path, bytes: usize) -> std::sync::mpsc::Sender<()> {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
    let (release, held) = std::sync::mpsc::channel::<()>();
    let path = path.to_owned();
    std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let _ = pipe.write_all(&vec![b'x'; bytes]);
        let _ = held.recv();
    });
    release
}

/// Upload File input reading a named pipe in 5 MiB parts, one at a time.
fn upload_from(bucket: &str, path: &std::path::Path) -> String {
    json!({"bucket": bucket, "file_name": "big.bin", "source": {"path": path},
           "transfer": {"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 1}})
    .to_string()
}

const PART: usize = 5 * 1024 * 1024;

/// The JSON error an interrupted run prints, checked to be `cancelled`.
fn cancelled(output: &Output, exit_code: i32) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(exit_code), "stderr: {stderr}");
    let err: Value = serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|_| panic!("not a JSON error on stderr: {stderr}"));
    assert_eq!(err["kind"], "cancelled", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("interrupted"),
        "{err}"
    );
    assert!(output.stdout.is_empty());
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_an_upload_and_aborts_its_multipart_upload() {
    let store = LocalStore::start(LocalStoreConfig::default())
        .await
        .unwrap();
    let env = store_env(&store);
    let out = run(
        env.clone(),
        args(&["run", "create_bucket", "--json", r#"{"bucket":"slow"}"#]),
        None,
    )
    .await;
    stdout_json(&out);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("source.fifo");
    let release = slow_source(&fifo, PART);
    let mut running = Running::start(
        &env,
        &args(&["run", "upload_file", "--json", &upload_from("slow", &fifo)]),
    );
    // s3s-fs keeps an open multipart upload as `.upload-ID.json` and its parts as
    // `.upload_id-ID.part-N` at the top of its directory (it has no ListMultipartUploads).
    let open_uploads = || {
        std::fs::read_dir(store.dir())
            .unwrap()
            .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
            .filter(|name| name.starts_with(".upload"))
            .collect::<Vec<_>>()
    };
    wait_until("the first part is stored", &mut running, || {
        let names = open_uploads();
        names.iter().any(|name| name.starts_with(".upload-"))
            && names.iter().any(|name| name.ends_with(".part-1"))
    })
    .await;

    running.signal("INT");
    let output = running.output().await;
    drop(release);
    cancelled(&output, 130);
    assert_eq!(
        open_uploads(),
        Vec::<String>::new(),
        "the upload was aborted"
    );
}

/// What the scripted store does with a request.
enum Answer {
    /// Sends this response.
    Full(String),
    /// Sends these bytes (the start of a response, or nothing), then nothing more while the
    /// connection lasts.
    Stall(Vec<u8>),
}

/// A stand-in for a store that hangs at a chosen request (the point of these tests is a store
/// that stops answering): `answer` maps a request's method and target to what is sent back.
/// It notes every request line it receives in `seen`.
struct Scripted {
    endpoint: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Scripted {
    fn start(answer: fn(&str, &str) -> Answer) -> Scripted {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve_scripted(stream, answer, &log));
            }
        });
        Scripted { endpoint, seen }
    }

    fn saw(&self, method: &str) -> bool {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .any(|line| line.starts_with(&format!("{method} ")))
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "scripted-access-key".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "scripted-secret-key".into()),
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
        ]
    }
}

fn serve_scripted(
    stream: std::net::TcpStream,
    answer: fn(&str, &str) -> Answer,
    log: &std::sync::Mutex<Vec<String>>,
) {
    use std::io::{BufRead, Read};
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut words = request_line.split_whitespace();
        let (method, target) = (words.next().unwrap(), words.next().unwrap());
        log.lock().unwrap().push(format!("{method} {target}"));
        match answer(method, target) {
            Answer::Full(response) => {
                if writer.write_all(response.as_bytes()).is_err() {
                    return;
                }
            }
            Answer::Stall(start) => {
                let _ = writer.write_all(&start);
                // Held, unanswered, until the client goes away.
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
                return;
            }
        }
    }
}

/// A multipart upload the store starts and takes parts of, but whose abort never answers.
fn abort_hangs(method: &str, target: &str) -> Answer {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult>\
               <Bucket>slow</Bucket><Key>big.bin</Key><UploadId>scripted-upload</UploadId>\
               </InitiateMultipartUploadResult>";
    match method {
        "POST" if target.contains("uploads") => Answer::Full(format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{xml}",
            xml.len()
        )),
        "PUT" => Answer::Full(
            "HTTP/1.1 200 OK\r\netag: \"0123456789abcdef0123456789abcdef\"\r\ncontent-length: 0\r\n\r\n"
                .to_owned(),
        ),
        _ => Answer::Stall(Vec::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_exits_at_once() {
    let store = Scripted::start(abort_hangs);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("source.fifo");
    let release = slow_source(&fifo, PART);
    let mut running = Running::start(
        &store.env(),
        &args(&["run", "upload_file", "--json", &upload_from("slow", &fifo)]),
    );
    wait_until("the first part is sent", &mut running, || store.saw("PUT")).await;
    running.signal("INT");
    // The first Ctrl-C waits for the abort, which hangs; the second one ends it.
    wait_until("the abort is sent", &mut running, || store.saw("DELETE")).await;
    running.signal("INT");
    let output = running.output().await;
    drop(release);
    assert_eq!(output.status.code(), Some(130));
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("cancelled"),
        "it exited at once, without waiting for the clean-up to end"
    );
}

/// An object of 8 MiB whose download stops after its first MiB (and hangs there).
fn download_hangs(method: &str, _target: &str) -> Answer {
    const SIZE: usize = 8 * 1024 * 1024;
    match method {
        "GET" => {
            let mut start = format!(
                "HTTP/1.1 206 Partial Content\r\ncontent-type: application/octet-stream\r\n\
                 content-length: {SIZE}\r\ncontent-range: bytes 0-{}/{SIZE}\r\n\
                 etag: \"0123456789abcdef0123456789abcdef\"\r\n\r\n",
                SIZE - 1
            )
            .into_bytes();
            start.extend(std::iter::repeat_n(b'x', 1024 * 1024));
            Answer::Stall(start)
        }
        _ => Answer::Full("HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n".to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_download_and_removes_its_temporary_file() {
    let store = Scripted::start(download_hangs);
    let dir = tempfile::tempdir().unwrap();
    let files = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    for (range, signal, code) in [(None, "TERM", 143), (Some("0-"), "INT", 130)] {
        let mut input = json!({"bucket": "slow", "key": "big.bin",
                               "save_to": dir.path().join("big.bin")});
        if let Some(range) = range {
            input["range"] = json!(range);
        }
        let mut running = Running::start(
            &store.env(),
            &args(&["run", "get_file", "--json", &input.to_string()]),
        );
        wait_until("the download is under way", &mut running, || {
            store.saw("GET") && files().iter().any(|name| name.ends_with(".part"))
        })
        .await;
        running.signal(signal);
        let output = running.output().await;
        cancelled(&output, code);
        assert_eq!(files(), Vec::<String>::new(), "{range:?}: nothing is left");
        store.seen.lock().unwrap().clear();
    }
}
