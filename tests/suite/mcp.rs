//! `s3-connector mcp` driven by a client nobody here wrote: the official MCP Python SDK
//! (`mcp` on PyPI, pinned in tests/servers/mcp.txt), through tests/mcp/driver.py, against the
//! in-process s3s-fs store.
//!
//! The driver takes a scenario (the transport, the SDK's connect mode, whether the client
//! declares elicitation, and a list of steps) and prints one JSON line per result. The binary
//! (`S3C_TEST_BIN`) and the SDK's Python (`S3C_TEST_MCP_PYTHON`) come from scripts/test; without
//! them the tests are skipped with a note, unless `S3C_REQUIRE_SERVERS=1`.
//!
//! Every test runs over stdio; a transport is one [`Transport`] value, so the streamable HTTP
//! `/mcp` endpoint of `serve` is one more variant of the same test (the listing and the calls
//! run over both).

use integration_tests::TestStore;
use s3_connector::serve::{self, ServeConfig, Server};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bearer token of the HTTP service in these tests (made up).
const HTTP_TOKEN: &str = "mcp-test-token-0123456789";

/// The longest a driver session may take before the test kills it and fails.
const SESSION_TIME: Duration = Duration::from_secs(120);

/// The MCP tool annotations every module must carry (issue 12 plan, §5): name, readOnlyHint,
/// destructiveHint, idempotentHint, openWorldHint. A new module must be added here on purpose.
const ANNOTATIONS: [(&str, bool, bool, bool, bool); 26] = [
    ("list_buckets", true, false, true, true),
    ("list_files", true, false, true, true),
    ("list_folders", true, false, true, true),
    ("search_files", true, false, true, true),
    ("head_file", true, false, true, true),
    ("get_file", true, false, true, true),
    ("get_bucket_region", true, false, true, true),
    ("get_bucket_policy", true, false, true, true),
    ("get_bucket_cors", true, false, true, true),
    ("presign_url", true, false, true, false),
    ("presign_post", false, false, true, false),
    ("assume_role", false, false, false, true),
    ("create_bucket", false, false, false, true),
    ("create_folder", false, false, true, true),
    ("upload_file", false, false, true, true),
    ("copy_file", false, false, true, true),
    ("move_file", false, true, false, true),
    ("delete_file", false, true, true, true),
    ("delete_files", false, true, true, true),
    ("delete_folder", false, true, true, true),
    ("delete_bucket", false, true, true, true),
    ("delete_bucket_policy", false, true, true, true),
    ("delete_bucket_cors", false, true, true, true),
    ("put_bucket_policy", false, true, true, true),
    ("put_bucket_cors", false, true, true, true),
    ("make_api_call", false, true, false, true),
];

/// The annotations pinned for `name`.
fn pinned(name: &str) -> Option<(bool, bool, bool, bool)> {
    ANNOTATIONS
        .iter()
        .find(|row| row.0 == name)
        .map(|&(_, ro, de, id, ow)| (ro, de, id, ow))
}

/// The tools `--read-only` keeps.
fn read_only_tools() -> BTreeSet<String> {
    ANNOTATIONS
        .iter()
        .filter(|row| row.1)
        .map(|row| row.0.to_owned())
        .collect()
}

/// The tools that ask for confirmation.
fn destructive_tools() -> BTreeSet<String> {
    ANNOTATIONS
        .iter()
        .filter(|row| row.2)
        .map(|row| row.0.to_owned())
        .collect()
}

/// The programs the tests need: the binary and the SDK's Python, or `None` (skipped with a
/// note) when scripts/test did not set them up. With `S3C_REQUIRE_SERVERS=1` a missing one
/// fails the test.
struct Kit {
    bin: String,
    python: String,
}

fn kit() -> Option<Kit> {
    let mut found = Vec::new();
    for var in ["S3C_TEST_BIN", "S3C_TEST_MCP_PYTHON"] {
        match std::env::var(var) {
            Ok(value) => found.push(value),
            Err(_) if std::env::var("S3C_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
                panic!("{var} is not set: run the tests with scripts/test")
            }
            Err(_) => {
                eprintln!("skipped: {var} is not set (scripts/test sets it up)");
                return None;
            }
        }
    }
    let python = found.pop().expect("two values");
    let bin = found.pop().expect("two values");
    Some(Kit { bin, python })
}

/// How the driver reaches the server.
enum Transport {
    /// `s3-connector mcp --connection FILE ARGS…` as the SDK's stdio child.
    Stdio {
        command: String,
        args: Vec<String>,
        /// Holds the connection file.
        _dir: Arc<tempfile::TempDir>,
    },
    /// A streamable HTTP endpoint (`serve`'s `/mcp`), with a bearer token.
    Http { url: String, token: Option<String> },
}

impl Transport {
    /// `s3-connector mcp` over stdio with a connection file for `store` and `extra` arguments.
    fn stdio(kit: &Kit, store: &TestStore, extra: &[&str]) -> Transport {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("connection.json");
        let local = &store.store;
        std::fs::write(
            &file,
            json!({"access_key_id": local.access_key(), "secret_access_key": local.secret_key(),
                   "endpoint_url": local.endpoint()})
            .to_string(),
        )
        .expect("write the connection file");
        let mut args = vec![
            "mcp".to_owned(),
            "--connection".to_owned(),
            file.display().to_string(),
        ];
        args.extend(extra.iter().map(|arg| arg.to_string()));
        Transport::Stdio {
            command: kit.bin.clone(),
            args,
            _dir: Arc::new(dir),
        }
    }

    /// `serve` in process with its embedded local store (the connection `/mcp` uses), answering
    /// MCP at `/mcp` behind a token. Stop the server at the end of the test.
    async fn http(state_dir: &std::path::Path) -> (Server, Transport) {
        Transport::http_with(state_dir, |_| {}).await
    }

    /// As [`Transport::http`], with the service's configuration changed by `configure`.
    async fn http_with(
        state_dir: &std::path::Path,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> (Server, Transport) {
        let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), state_dir.to_owned());
        configure(&mut config);
        config.token = Some(HTTP_TOKEN.to_owned());
        config.local = true;
        let server = serve::start(config).await.expect("start the service");
        let transport = Transport::Http {
            url: format!("{}/mcp", server.url()),
            token: Some(HTTP_TOKEN.to_owned()),
        };
        (server, transport)
    }

    fn to_json(&self) -> Value {
        match self {
            Transport::Stdio { command, args, .. } => {
                json!({"type": "stdio", "command": command, "args": args, "env": {}})
            }
            Transport::Http { url, token } => json!({"type": "http", "url": url, "token": token}),
        }
    }
}

/// What the driver does: `mode` is the SDK's `legacy` or `auto`; `elicitation` the default
/// answer of a client that declares elicitation (`None`: it declares none).
struct Scenario<'a> {
    transport: &'a Transport,
    mode: &'static str,
    elicitation: Option<&'static str>,
    steps: Vec<Value>,
}

impl Scenario<'_> {
    fn to_json(&self) -> Value {
        json!({
            "transport": self.transport.to_json(),
            "mode": self.mode,
            "elicitation": self.elicitation,
            "timeout": SESSION_TIME.as_secs() - 10,
            "steps": self.steps,
        })
    }
}

fn call(name: &str, arguments: Value) -> Value {
    json!({"op": "call_tool", "name": name, "arguments": arguments})
}

fn list_tools() -> Value {
    json!({"op": "list_tools"})
}

/// A running driver. It is killed when dropped.
struct Driver {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    deadline: tokio::time::Instant,
}

impl Driver {
    fn start(kit: &Kit, scenario: &Scenario<'_>) -> Driver {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/mcp/driver.py");
        let mut child = Command::new(&kit.python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", kit.python));
        let mut stdin = child.stdin.take().expect("stdin");
        // The scenario is one line (it may exceed what an argument can hold); stdin stays open.
        writeln!(stdin, "{}", scenario.to_json()).expect("send the scenario");
        let (send, lines) = tokio::sync::mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(&mut pipe).lines() {
                let Ok(line) = line else { break };
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Driver {
            child,
            stdin: Some(stdin),
            lines,
            seen: Vec::new(),
            stderr,
            deadline: tokio::time::Instant::now() + SESSION_TIME,
        }
    }

    /// What the session printed so far (for failure messages).
    fn transcript(&self) -> String {
        let stderr = self.stderr.lock().unwrap();
        let start = stderr.len().saturating_sub(6000);
        let start = (start..stderr.len())
            .find(|&i| stderr.is_char_boundary(i))
            .unwrap_or(stderr.len());
        let tail = &stderr[start..];
        format!(
            "driver output:\n{}\ndriver and server stderr (end):\n{tail}",
            self.seen.join("\n")
        )
    }

    /// The next line, or `None` at the end; fails the test past the session's deadline.
    async fn next_line(&mut self) -> Option<String> {
        match tokio::time::timeout_at(self.deadline, self.lines.recv()).await {
            Ok(Some(line)) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Ok(None) => None,
            Err(_) => {
                let _ = self.child.kill();
                panic!(
                    "the MCP session took more than {SESSION_TIME:?}\n{}",
                    self.transcript()
                )
            }
        }
    }

    /// Waits for the line `expected`, failing the test if the session ends first.
    async fn wait_for(&mut self, expected: &str) {
        while let Some(line) = self.next_line().await {
            if line == expected {
                return;
            }
        }
        panic!("the session ended before {expected}\n{}", self.transcript());
    }

    /// Sends a line to the driver's standard input.
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("write to the driver");
    }

    /// Closes the driver's input and reads everything up to its end.
    async fn finish(mut self) -> Session {
        drop(self.stdin.take());
        while self.next_line().await.is_some() {}
        let status = self.child.wait().expect("the driver ends");
        // The stderr reader ends with the process.
        std::thread::sleep(Duration::from_millis(50));
        let transcript = self.transcript();
        let lines: Vec<Value> = self
            .seen
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        if let Some(fatal) = lines.iter().find(|line| line["event"] == "fatal") {
            panic!("the MCP session failed: {fatal}\n{transcript}");
        }
        assert!(
            status.success() && lines.last().is_some_and(|l| l["event"] == "end"),
            "the driver did not end cleanly ({status})\n{transcript}"
        );
        Session { lines, transcript }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a scenario to its end.
async fn session(kit: &Kit, scenario: Scenario<'_>) -> Session {
    Driver::start(kit, &scenario).finish().await
}

/// Runs `steps` in the common scenario: the SDK's `legacy` handshake, no elicitation.
async fn run_steps(kit: &Kit, transport: &Transport, steps: Vec<Value>) -> Session {
    session(
        kit,
        Scenario {
            transport,
            mode: "legacy",
            elicitation: None,
            steps,
        },
    )
    .await
}

/// What a finished session printed.
struct Session {
    lines: Vec<Value>,
    transcript: String,
}

impl Session {
    /// The result line of step `n`.
    fn step(&self, n: usize) -> &Value {
        self.lines
            .iter()
            .rev()
            .find(|line| line["step"] == n && line.get("event").is_none())
            .unwrap_or_else(|| panic!("no result for step {n}\n{}", self.transcript))
    }

    fn connected(&self) -> &Value {
        self.lines
            .iter()
            .find(|line| line["event"] == "connected")
            .unwrap_or_else(|| panic!("never connected\n{}", self.transcript))
    }

    /// The CallToolResult of step `n` (failing the test if the call raised).
    fn result(&self, n: usize) -> &Value {
        let step = self.step(n);
        assert!(
            step.get("result").is_some(),
            "step {n} has no result: {step}\n{}",
            self.transcript
        );
        &step["result"]
    }

    /// The structuredContent of step `n`, which must be a success.
    fn ok(&self, n: usize) -> &Value {
        let result = self.result(n);
        assert_eq!(
            result["isError"], false,
            "step {n} failed: {result}\n{}",
            self.transcript
        );
        assert!(
            result["structuredContent"].is_object(),
            "step {n}: no structuredContent: {result}"
        );
        &result["structuredContent"]
    }

    /// As [`Session::ok`], and a text block carries the same JSON.
    fn ok_json(&self, n: usize) -> &Value {
        let out = self.ok(n);
        assert_eq!(
            text_json(self.result(n)).as_ref(),
            Some(out),
            "step {n}: no text block with the structuredContent's JSON"
        );
        out
    }

    /// The `error` object of step `n`, which must be an isError result whose structuredContent
    /// is `{"error": …}` and whose text block carries the same JSON.
    fn err(&self, n: usize) -> &Value {
        let result = self.result(n);
        assert_eq!(
            result["isError"], true,
            "step {n} should have failed: {result}\n{}",
            self.transcript
        );
        let content = &result["structuredContent"];
        let error = &content["error"];
        for field in ["kind", "message"] {
            assert!(
                error[field].is_string(),
                "step {n}: no error.{field}: {result}"
            );
        }
        assert!(
            error["retryable"].is_boolean(),
            "step {n}: no error.retryable: {result}"
        );
        assert_eq!(
            text_json(result).as_ref(),
            Some(content),
            "step {n}: no text block with the error's JSON"
        );
        assert!(
            !result
                .to_string()
                .contains(integration_tests::TEST_SECRET_KEY),
            "a secret in a result"
        );
        error
    }

    /// The tools listed at step `n` (schemas checked with Draft202012Validator by the driver).
    fn tools(&self, n: usize) -> &Vec<Value> {
        let step = self.step(n);
        assert_eq!(
            step["schema_errors"],
            json!([]),
            "schemas that are not valid JSON Schema 2020-12"
        );
        step["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("step {n} listed no tools: {step}"))
    }
}

/// The JSON of the first text block of a CallToolResult that parses as JSON.
fn text_json(result: &Value) -> Option<Value> {
    result["content"]
        .as_array()?
        .iter()
        .filter(|block| block["type"] == "text")
        .find_map(|block| serde_json::from_str(block["text"].as_str()?).ok())
}

fn names(tools: &[Value]) -> BTreeSet<String> {
    tools
        .iter()
        .map(|tool| tool["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// Creates `bucket` with the text files `files` (key, content) straight in the store.
async fn seed(store: &TestStore, bucket: &str, files: &[(&str, &str)]) {
    store.bucket(bucket).await;
    for (key, text) in files {
        store
            .ok(
                "upload_file",
                json!({"bucket": bucket, "file_name": key, "source": {"text": text}}),
            )
            .await;
    }
}

/// The keys in `bucket`, read straight from the store.
async fn keys(store: &TestStore, bucket: &str) -> Vec<String> {
    let out = store
        .ok("list_files", json!({"bucket": bucket, "recursive": true}))
        .await;
    integration_tests::column(&out, "files", "key")
}

/// Checks a tool listing: every module once, title = label, object schemas without root
/// combinators, the pinned annotations, and the `confirm` input exactly where it belongs.
fn check_catalog(tools: &[Value], confirm_input: bool) {
    let registry = connector_core::Registry::global();
    let expected: BTreeSet<String> = registry.modules().map(|m| m.name().to_owned()).collect();
    assert_eq!(tools.len(), registry.len(), "one tool per module");
    assert_eq!(
        names(tools),
        expected,
        "the tools are the registry's modules"
    );
    for module in registry.modules() {
        assert!(
            pinned(module.name()).is_some(),
            "{} has no pinned annotations in this test",
            module.name()
        );
    }
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        let module = registry.get(name).unwrap();
        assert_eq!(tool["title"], module.label(), "{name}: title");
        assert!(
            tool["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: description"
        );
        for which in ["inputSchema", "outputSchema"] {
            let schema = &tool[which];
            assert_eq!(schema["type"], "object", "{name}: {which} root type");
            for keyword in ["allOf", "anyOf", "oneOf", "if", "then", "else", "not"] {
                assert!(
                    schema.get(keyword).is_none(),
                    "{name}: {which} has a root {keyword}"
                );
            }
        }
        let (ro, de, id, ow) = pinned(name).unwrap();
        let hints = &tool["annotations"];
        let hint = |key: &str, default: bool| hints[key].as_bool().unwrap_or(default);
        // MCP's defaults: readOnly false, destructive true, idempotent false, openWorld true;
        // destructiveHint means nothing on a read-only tool, so it may be left out there.
        assert_eq!(hint("readOnlyHint", false), ro, "{name}: readOnlyHint");
        if ro {
            assert_ne!(hints["destructiveHint"], true, "{name}: destructiveHint");
        } else {
            assert_eq!(hint("destructiveHint", true), de, "{name}: destructiveHint");
        }
        assert_eq!(hint("idempotentHint", false), id, "{name}: idempotentHint");
        assert_eq!(hint("openWorldHint", true), ow, "{name}: openWorldHint");

        let input = &tool["inputSchema"];
        let confirm = &input["properties"]["confirm"];
        let required = input["required"].as_array().cloned().unwrap_or_default();
        if de && confirm_input {
            assert_eq!(confirm["type"], "boolean", "{name}: confirm input");
            assert_eq!(confirm["const"], true, "{name}: confirm input");
            assert!(
                required.contains(&json!("confirm")),
                "{name}: confirm required"
            );
        } else {
            assert!(confirm.is_null(), "{name}: no confirm input expected");
            assert!(!required.contains(&json!("confirm")), "{name}: confirm");
        }
    }
}

// 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_every_module_as_a_tool() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    let stdio = Transport::stdio(&kit, &store, &[]);
    lists_every_module_as_a_tool_over(&kit, &stdio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_every_module_as_a_tool_over_http() {
    let Some(kit) = kit() else { return };
    let state = tempfile::tempdir().expect("a temporary directory");
    let (server, http) = Transport::http(state.path()).await;
    lists_every_module_as_a_tool_over(&kit, &http).await;
    server.shutdown().await;
}

async fn lists_every_module_as_a_tool_over(kit: &Kit, transport: &Transport) {
    // The SDK's initialize handshake, and its default "auto" (server/discover, then initialize
    // when the server shares no 2026 version): both end at the newest version the server has.
    // Without elicitation, destructive tools take a `confirm` input; with it, they don't.
    for (mode, elicitation) in [("legacy", None), ("auto", Some("decline"))] {
        let run = session(
            kit,
            Scenario {
                transport,
                mode,
                elicitation,
                steps: vec![list_tools()],
            },
        )
        .await;
        assert_eq!(
            run.connected()["protocol_version"],
            "2025-11-25",
            "{mode}: the negotiated version"
        );
        check_catalog(run.tools(0), elicitation.is_none());
    }
}

// 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_list_upload_get() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    let stdio = Transport::stdio(&kit, &store, &[]);
    calls_list_upload_get_over(&kit, &stdio).await;
    // What the calls did is in the store.
    assert_eq!(keys(&store, "docs").await, ["notes/hello.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_list_upload_get_over_http() {
    let Some(kit) = kit() else { return };
    let state = tempfile::tempdir().expect("a temporary directory");
    let (server, http) = Transport::http(state.path()).await;
    calls_list_upload_get_over(&kit, &http).await;
    server.shutdown().await;
}

async fn calls_list_upload_get_over(kit: &Kit, transport: &Transport) {
    let text = "hello from an agent\n";
    let run = session(
        kit,
        Scenario {
            transport,
            mode: "legacy",
            elicitation: None,
            steps: vec![
                call("create_bucket", json!({"bucket": "docs"})),
                call(
                    "upload_file",
                    json!({"bucket": "docs", "folder": "notes", "file_name": "hello.txt",
                           "source": {"text": text}}),
                ),
                call("list_files", json!({"bucket": "docs", "recursive": true})),
                call(
                    "get_file",
                    json!({"bucket": "docs", "key": "notes/hello.txt"}),
                ),
                call("no_such_tool", json!({})),
            ],
        },
    )
    .await;
    assert_eq!(run.ok_json(0)["bucket"], "docs");
    let uploaded = run.ok_json(1);
    assert_eq!(uploaded["key"], "notes/hello.txt");
    assert_eq!(uploaded["size"], text.len());
    let listed = run.ok_json(2);
    assert_eq!(listed["files"][0]["key"], "notes/hello.txt", "{listed}");
    assert_eq!(listed["files"].as_array().unwrap().len(), 1);

    // Small text comes back inline, as text, never as base64.
    let got = run.ok(3);
    assert_eq!(got["content_text"], text, "{got}");
    assert!(got.get("content_base64").is_none(), "{got}");
    assert_ne!(got["inline"], false, "{got}");
    let result = run.result(3);
    assert!(
        result["content"]
            .as_array()
            .unwrap()
            .iter()
            .any(|block| block["type"] == "text"
                && block["text"].as_str().unwrap_or("").contains(text.trim())),
        "the text is in a text block: {result}"
    );

    // An unknown tool is a protocol error, not a tool result.
    let unknown = run.step(4);
    assert!(
        unknown.get("result").is_none(),
        "an unknown tool gave a tool result: {unknown}"
    );
    assert_eq!(unknown["error"]["type"], "MCPError", "{unknown}");
}

// 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_get_file_is_a_link() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    store.bucket("big").await;
    // 300 KiB that are not text, and a 2 KiB text file.
    let bytes: Vec<u8> = (0..300 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    store
        .ok(
            "upload_file",
            json!({"bucket": "big", "file_name": "blob.bin", "source": {"base64": encoded}}),
        )
        .await;
    let text = "a line of text that repeats\n".repeat(74);
    assert!(text.len() > 2048 && text.len() < 2100);
    store
        .ok(
            "upload_file",
            json!({"bucket": "big", "file_name": "notes.txt", "source": {"text": text}}),
        )
        .await;

    let stdio = Transport::stdio(&kit, &store, &[]);
    let run = run_steps(
        &kit,
        &stdio,
        vec![
            call("get_file", json!({"bucket": "big", "key": "blob.bin"})),
            json!({"op": "download"}),
            call("get_file", json!({"bucket": "big", "key": "notes.txt"})),
        ],
    )
    .await;
    check_link(&run, 0, bytes.len());
    let downloaded = &run.step(1)["downloads"];
    assert_eq!(downloaded.as_array().map(Vec::len), Some(1), "{downloaded}");
    assert_eq!(downloaded[0]["status"], 200, "{downloaded}");
    assert_eq!(downloaded[0]["size"], bytes.len());
    assert_eq!(
        downloaded[0]["sha256"],
        connector_core::wire::signer::sha256_hex(&bytes)
    );
    // Under the default 256 KiB, the text file is inline.
    assert_eq!(run.ok(2)["content_text"], text.as_str());

    // With --max-inline-kib 1 the 2 KiB text file is a link too, and an upload of more
    // content than that is refused before sending, naming the field.
    let small = Transport::stdio(&kit, &store, &["--max-inline-kib", "1"]);
    let before = store.requests();
    let run = run_steps(
        &kit,
        &small,
        vec![
            call(
                "upload_file",
                json!({"bucket": "big", "file_name": "too-big.txt",
                           "source": {"text": text}}),
            ),
            call(
                "upload_file",
                json!({"bucket": "big", "file_name": "too-big.bin",
                           "source": {"base64": base64::engine::general_purpose::STANDARD
                               .encode(text.as_bytes())}}),
            ),
        ],
    )
    .await;
    for (step, field) in [(0, "text"), (1, "base64")] {
        let error = run.err(step);
        assert_eq!(error["kind"], "invalid_input", "{error}");
        assert!(
            error["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("source") && f.contains(field)),
            "the error names source.{field}: {error}"
        );
    }
    assert_eq!(store.requests(), before, "a refused upload sent nothing");
    let run = run_steps(
        &kit,
        &small,
        vec![
            call("get_file", json!({"bucket": "big", "key": "notes.txt"})),
            json!({"op": "download"}),
        ],
    )
    .await;
    check_link(&run, 0, text.len());
    assert_eq!(run.step(1)["downloads"][0]["size"], text.len());
    assert_eq!(
        run.step(1)["downloads"][0]["sha256"],
        connector_core::wire::signer::sha256_hex(text.as_bytes())
    );
    assert_eq!(keys(&store, "big").await, ["blob.bin", "notes.txt"]);
}

/// Step `n` answered a get_file with metadata and a link instead of content.
fn check_link(run: &Session, n: usize, size: usize) {
    let out = run.ok(n);
    assert_eq!(out["inline"], false, "{out}");
    assert_eq!(out["size"], size, "{out}");
    assert!(out.get("content_base64").is_none(), "{out}");
    assert!(out.get("content_text").is_none(), "{out}");
    let url = out["download_url"].as_str().expect("a download_url");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        out["download_url_expires_at"].is_string(),
        "download_url_expires_at: {out}"
    );
    let result = run.result(n);
    let links: Vec<&Value> = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|block| block["type"] == "resource_link")
        .collect();
    assert_eq!(links.len(), 1, "one resource_link: {result}");
    assert_eq!(links[0]["uri"], url);
    // No block carries the bytes.
    for block in result["content"].as_array().unwrap() {
        assert!(
            block["type"] == "text" || block["type"] == "resource_link",
            "{block}"
        );
        assert!(
            block["text"].as_str().is_none_or(|t| t.len() < 4096),
            "a text block of {} bytes",
            block["text"].as_str().unwrap().len()
        );
    }
}

// 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_iserror_naming_the_field() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    let stdio = Transport::stdio(&kit, &store, &[]);
    let before = store.requests();
    let run = run_steps(
        &kit,
        &stdio,
        vec![
            call("get_file", json!({"bucket": "docs", "key": "a/../x"})),
            call("get_file", json!({"bucket": "docs"})),
            call("list_files", json!({"bucket": "docs", "no_such_field": 1})),
            // Local files are off without --files-dir.
            call(
                "get_file",
                json!({"bucket": "docs", "key": "x.txt", "save_to": "x.txt"}),
            ),
            call(
                "upload_file",
                json!({"bucket": "docs", "file_name": "x", "source": {"path": "x.txt"}}),
            ),
        ],
    )
    .await;
    let error = run.err(0);
    assert_eq!(error["kind"], "invalid_input", "{error}");
    assert_eq!(error["field"], "key", "{error}");
    let error = run.err(1);
    assert_eq!(error["kind"], "invalid_input", "{error}");
    assert_eq!(error["field"], "key", "{error}");
    let error = run.err(2);
    assert_eq!(error["kind"], "invalid_input", "{error}");
    assert_eq!(error["field"], "no_such_field", "{error}");
    for (step, field) in [(3, "save_to"), (4, "source")] {
        let error = run.err(step);
        // The brief says invalid_input; LocalFiles::Nowhere answers access_denied.
        assert!(
            error["kind"] == "invalid_input" || error["kind"] == "access_denied",
            "{error}"
        );
        assert!(
            error["field"]
                .as_str()
                .is_some_and(|f| f.starts_with(field)),
            "the error names {field}: {error}"
        );
    }
    assert_eq!(store.requests(), before, "nothing reached the store");
}

// 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_hides_and_refuses() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    seed(&store, "read-only", &[("keep.txt", "still here")]).await;
    let stdio = Transport::stdio(&kit, &store, &["--read-only"]);
    let before = store.requests();
    let run = run_steps(
        &kit,
        &stdio,
        vec![
            list_tools(),
            call(
                "delete_file",
                json!({"bucket": "read-only", "key": "keep.txt"}),
            ),
            call(
                "presign_url",
                json!({"bucket": "read-only", "key": "new.txt", "method": "PUT"}),
            ),
            call(
                "upload_file",
                json!({"bucket": "read-only", "file_name": "new.txt", "source": {"text": "x"}}),
            ),
            call("make_api_call", json!({"method": "DELETE", "url": "/ro"})),
            call(
                "presign_url",
                json!({"bucket": "read-only", "key": "keep.txt"}),
            ),
        ],
    )
    .await;
    let listed = names(run.tools(0));
    assert_eq!(listed, read_only_tools(), "--read-only lists only these");
    for step in 1..=4 {
        let error = run.err(step);
        assert_eq!(error["kind"], "access_denied", "step {step}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains("read-only"),
            "step {step}: the message says why: {error}"
        );
    }
    // A GET link is read-only (and signed locally).
    assert!(run.ok(5)["url"].is_string());
    assert_eq!(store.requests(), before, "nothing reached the store");
    assert_eq!(keys(&store, "read-only").await, ["keep.txt"]);
}

// 6.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_bucket_refuses_others_before_sending() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    seed(&store, "okay", &[("a.txt", "a")]).await;
    seed(&store, "other", &[("b.txt", "b")]).await;
    let stdio = Transport::stdio(&kit, &store, &["--allow-bucket", "okay"]);
    let before = store.requests();
    let run = run_steps(
        &kit,
        &stdio,
        vec![
            call("delete_bucket", json!({"bucket": "other", "confirm": true})),
            call(
                "copy_file",
                json!({"source_bucket": "okay", "source_key": "a.txt",
                           "destination_bucket": "other", "destination_key": "a.txt"}),
            ),
            call(
                "copy_file",
                json!({"source_bucket": "other", "source_key": "b.txt",
                           "destination_bucket": "okay", "destination_key": "b.txt"}),
            ),
            call("list_files", json!({"bucket": "other"})),
            call("get_file", json!({"bucket": "other", "key": "b.txt"})),
            call("presign_url", json!({"bucket": "other", "key": "b.txt"})),
        ],
    )
    .await;
    for (step, field) in [
        (0, "bucket"),
        (1, "destination_bucket"),
        (2, "source_bucket"),
        (3, "bucket"),
        (4, "bucket"),
        (5, "bucket"),
    ] {
        let error = run.err(step);
        assert_eq!(error["kind"], "access_denied", "step {step}: {error}");
        assert_eq!(error["field"], field, "step {step}: {error}");
    }
    assert_eq!(store.requests(), before, "nothing reached the store");

    let run = run_steps(
        &kit,
        &stdio,
        vec![
            call("list_buckets", json!({})),
            call("list_files", json!({"bucket": "okay"})),
        ],
    )
    .await;
    let buckets = integration_tests::column(run.ok_json(0), "buckets", "name");
    assert_eq!(buckets, ["okay"], "only the allowed bucket is listed");
    assert_eq!(
        integration_tests::column(run.ok_json(1), "files", "key"),
        ["a.txt"]
    );
    assert_eq!(keys(&store, "other").await, ["b.txt"]);
}

// 7.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_needs_confirmation() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    let files = [
        ("a.txt", "a"),
        ("b.txt", "b"),
        ("c.txt", "c"),
        ("d.txt", "d"),
    ];
    seed(&store, "keep", &files).await;
    let stdio = Transport::stdio(&kit, &store, &[]);

    // A client without elicitation: the agent must set `confirm: true` itself.
    let run = run_steps(
        &kit,
        &stdio,
        vec![
            call("delete_file", json!({"bucket": "keep", "key": "a.txt"})),
            call(
                "delete_file",
                json!({"bucket": "keep", "key": "a.txt", "confirm": false}),
            ),
        ],
    )
    .await;
    for step in [0, 1] {
        let error = run.err(step);
        assert_eq!(error["kind"], "invalid_input", "{error}");
        assert_eq!(error["field"], "confirm", "{error}");
    }
    assert_eq!(keys(&store, "keep").await.len(), 4, "nothing deleted");
    let run = run_steps(
        &kit,
        &stdio,
        vec![call(
            "delete_file",
            json!({"bucket": "keep", "key": "a.txt", "confirm": true}),
        )],
    )
    .await;
    run.ok_json(0);
    assert_eq!(keys(&store, "keep").await, ["b.txt", "c.txt", "d.txt"]);

    // A client with elicitation: the server asks, naming the tool, the bucket and the key.
    let run = session(
        &kit,
        Scenario {
            transport: &stdio,
            mode: "legacy",
            elicitation: Some("accept"),
            steps: vec![
                call("delete_file", json!({"bucket": "keep", "key": "c.txt"}))
                    .with("elicit", "decline"),
                call("delete_file", json!({"bucket": "keep", "key": "c.txt"}))
                    .with("elicit", "cancel"),
                call("delete_file", json!({"bucket": "keep", "key": "c.txt"}))
                    .with("elicit", "accept_false"),
                call("delete_file", json!({"bucket": "keep", "key": "b.txt"})),
            ],
        },
    )
    .await;
    for step in 0..3 {
        let error = run.err(step);
        assert_eq!(error["kind"], "cancelled", "step {step}: {error}");
        assert_eq!(run.step(step)["elicitations"].as_array().unwrap().len(), 1);
    }
    run.ok_json(3);
    let asked = &run.step(3)["elicitations"];
    assert_eq!(asked.as_array().unwrap().len(), 1, "asked once: {asked}");
    let params = &asked[0]["params"];
    let message = params["message"].as_str().unwrap();
    for word in ["delete_file", "keep", "b.txt"] {
        assert!(
            message.contains(word),
            "the question names {word}: {message}"
        );
    }
    assert_eq!(params["mode"], "form", "{params}");
    let schema = &params["requestedSchema"];
    assert_eq!(
        schema["properties"]["confirm"]["type"], "boolean",
        "{schema}"
    );
    assert_eq!(
        schema["properties"].as_object().unwrap().len(),
        1,
        "{schema}"
    );
    assert_eq!(keys(&store, "keep").await, ["c.txt", "d.txt"]);

    // --no-confirm: neither a question nor an input.
    let unconfirmed = Transport::stdio(&kit, &store, &["--no-confirm"]);
    let run = session(
        &kit,
        Scenario {
            transport: &unconfirmed,
            mode: "legacy",
            elicitation: Some("decline"),
            steps: vec![call(
                "delete_file",
                json!({"bucket": "keep", "key": "d.txt"}),
            )],
        },
    )
    .await;
    run.ok_json(0);
    assert_eq!(run.step(0)["elicitations"], json!([]));
    assert_eq!(keys(&store, "keep").await, ["c.txt"]);
}

trait With {
    fn with(self, key: &str, value: &str) -> Value;
}

impl With for Value {
    fn with(mut self, key: &str, value: &str) -> Value {
        self[key] = json!(value);
        self
    }
}

// 8.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_cancel_abort_the_multipart_upload() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    store.bucket("slow").await;
    let files = tempfile::tempdir().expect("a temporary directory");
    let files_dir = files.path().display().to_string();
    // A regular 12 MiB file, and a named pipe that gives one part, then nothing.
    std::fs::write(files.path().join("whole.bin"), vec![b'w'; 12 << 20]).unwrap();
    let release = slow_source(&files.path().join("source.fifo"), PART);
    let stdio = Transport::stdio(&kit, &store, &["--files-dir", &files_dir]);

    // s3s-fs keeps an open multipart upload as `.upload-ID.json` and its parts as
    // `.upload_id-ID.part-N` at the top of its directory (it has no ListMultipartUploads).
    let dir = store.store.dir().to_owned();
    let open_uploads = move || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
            .filter(|name| name.starts_with(".upload"))
            .collect::<Vec<_>>()
    };
    let transfer = json!({"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 1});
    let mut driver = Driver::start(
        &kit,
        &Scenario {
            transport: &stdio,
            mode: "legacy",
            elicitation: None,
            // The driver cancels the first call at its first progress notification with
            // progress > 0: progress counts stored parts, so a multipart upload is open then.
            steps: vec![
                json!({"op": "call_tool", "name": "upload_file", "cancel_after_progress": 1,
                       "arguments": {"bucket": "slow", "file_name": "big.bin",
                                     "source": {"path": "source.fifo"}, "transfer": transfer}}),
                json!({"op": "call_tool", "name": "upload_file", "progress": true,
                       "arguments": {"bucket": "slow", "file_name": "whole.bin",
                                     "source": {"path": "whole.bin"}, "transfer": transfer}}),
                call("list_files", json!({"bucket": "slow"})),
            ],
        },
    );
    driver.wait_for("CANCELLED").await;
    // The session still runs: the abort must come from the cancellation, not from the end.
    let mut aborted = false;
    for _ in 0..500 {
        if open_uploads().is_empty() {
            aborted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let left = open_uploads();
    driver.send("DONE");
    let run = driver.finish().await;
    drop(release);

    // The stalled upload reported progress (its first part) before it was cancelled.
    let cancelled = run
        .lines
        .iter()
        .find(|line| line["step"] == 0 && line["cancelled"] == true)
        .unwrap_or_else(|| panic!("the call was not cancelled\n{}", run.transcript));
    let progress = cancelled["progress"].as_array().unwrap().clone();
    assert!(
        progress.iter().any(|p| p["progress"].as_f64() > Some(0.0)),
        "progress before the cancel: {cancelled}"
    );
    check_progress(&progress, u64::MAX);
    assert!(
        aborted,
        "the cancelled call aborted its multipart upload within 10 s (left: {left:?})\n{}",
        run.transcript
    );
    // The session goes on after a cancelled call: the whole upload reports its progress,
    // increasing, within the total.
    let uploaded = run.ok_json(1);
    assert_eq!(uploaded["size"], 12 << 20, "{uploaded}");
    let progress = run.step(1)["progress"].as_array().unwrap().clone();
    check_progress(&progress, 12 << 20);
    assert_eq!(
        integration_tests::column(run.ok_json(2), "files", "key"),
        ["whole.bin"]
    );
}

/// Progress values are positive, strictly increasing and at most the total (when given).
fn check_progress(progress: &[Value], max: u64) {
    let mut last = 0.0;
    for event in progress {
        let value = event["progress"].as_f64().expect("a number");
        assert!(value > last, "progress must increase: {progress:?}");
        last = value;
        if let Some(total) = event["total"].as_f64() {
            assert!(value <= total, "progress above its total: {progress:?}");
            assert!(total <= max as f64, "a total above the size: {progress:?}");
        }
    }
}

const PART: usize = 5 * 1024 * 1024;

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

// 9, the rest: run slots and a call longer than the header timeout, over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_calls_hold_a_run_slot_for_as_long_as_they_run() {
    let Some(kit) = kit() else { return };
    let state = tempfile::tempdir().expect("a temporary directory");
    let files = tempfile::tempdir().expect("a temporary directory");
    let release = slow_source(&files.path().join("source.fifo"), PART);
    let files_dir = files.path().to_owned();
    let (server, http) = Transport::http_with(state.path(), |config| {
        config.max_concurrency = 1;
        config.header_timeout = Duration::from_secs(1);
        config.files_dir = Some(files_dir);
        config.mcp.policy.confirm = false;
    })
    .await;
    let transfer = json!({"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 1});
    // One call holds the only run slot: an upload from a source that stalls after one part.
    let mut slow = Driver::start(
        &kit,
        &Scenario {
            transport: &http,
            mode: "legacy",
            elicitation: None,
            steps: vec![
                call("create_bucket", json!({"bucket": "slots"})),
                json!({"op": "call_tool", "name": "upload_file", "progress": true,
                       "arguments": {"bucket": "slots", "file_name": "slow.bin",
                                     "source": {"path": "source.fifo"}, "transfer": transfer}}),
            ],
        },
    );
    loop {
        let line = slow.next_line().await.expect("the upload reports progress");
        let event: Value = serde_json::from_str(&line).unwrap_or_default();
        if event["event"] == "progress" && event["progress"].as_f64() > Some(0.0) {
            break;
        }
    }
    // Another session's call finds no free slot: refused at once, to be retried.
    let other = run_steps(&kit, &http, vec![call("list_buckets", json!({}))]).await;
    let error = other.err(0);
    assert_eq!(error["kind"], "throttled", "{error}");
    assert_eq!(error["retryable"], true, "{error}");
    // The upload runs on past the 1 s header timeout (its connection is busy, not idle), and
    // its answer arrives once the source ends.
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(release);
    let run = slow.finish().await;
    let uploaded = run.ok_json(1);
    assert_eq!(uploaded["size"], PART, "{uploaded}");
    server.shutdown().await;
}

// Resources: buckets, folders and small text files, under the same switches as the tools.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_browse_buckets_folders_and_small_text() {
    let Some(kit) = kit() else { return };
    let store = TestStore::start().await;
    let big = "x".repeat(2048);
    seed(
        &store,
        "shop",
        &[("top.txt", "top"), ("big.txt", big.as_str())],
    )
    .await;
    store
        .ok(
            "upload_file",
            json!({"bucket": "shop", "folder": "docs", "file_name": "a.txt",
                   "source": {"text": "hello"}}),
        )
        .await;
    store.bucket("other").await;
    let transport = Transport::stdio(
        &kit,
        &store,
        &["--allow-bucket", "shop", "--max-inline-kib", "1"],
    );
    let run = run_steps(
        &kit,
        &transport,
        vec![
            json!({"op": "list_resources"}),
            json!({"op": "read_resource", "uri": "s3://shop/"}),
            json!({"op": "read_resource", "uri": "s3://shop/docs/a.txt"}),
            json!({"op": "read_resource", "uri": "s3://shop/big.txt"}),
            json!({"op": "read_resource", "uri": "s3://other/"}),
        ],
    )
    .await;
    // Only the allowed bucket is listed; the template covers files and folders.
    let listed = run.step(0);
    let uris: Vec<&str> = listed["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter_map(|r| r["uri"].as_str())
        .collect();
    assert_eq!(uris, ["s3://shop/"], "{listed}");
    assert_eq!(
        listed["templates"][0]["uriTemplate"],
        "s3://{bucket}/{+key}"
    );
    // A folder is its listing, as JSON.
    let folder = &run.step(1)["contents"][0];
    assert_eq!(folder["mimeType"], "application/json", "{folder}");
    let listing: Value = serde_json::from_str(folder["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        integration_tests::column(&listing, "folders", "prefix"),
        ["docs/"]
    );
    assert_eq!(
        integration_tests::column(&listing, "files", "key"),
        ["big.txt", "top.txt"]
    );
    // A small text file is its text; a larger one points to get_file.
    assert_eq!(
        run.step(2)["contents"][0]["text"],
        "hello",
        "{}",
        run.step(2)
    );
    let too_big = &run.step(3)["error"];
    assert!(
        too_big["message"]
            .as_str()
            .unwrap_or_default()
            .contains("get_file"),
        "{too_big}"
    );
    // Another bucket is refused, as for tools.
    let refused = &run.step(4)["error"];
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("other"),
        "{refused}"
    );
}

// 10. The MCP Inspector's CLI mode (its TypeScript SDK checks every tool schema).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_lists_and_calls_the_tools() {
    let Some(kit) = kit() else { return };
    let Some(inspector) = inspector() else { return };
    let store = TestStore::start().await;
    let Transport::Stdio {
        command,
        args,
        _dir,
    } = Transport::stdio(&kit, &store, &["--no-confirm"])
    else {
        unreachable!("a stdio transport")
    };
    let run = |method: &[&str]| {
        let output = Command::new(&inspector)
            .arg("--cli")
            .arg(&command)
            .args(&args)
            .args(method)
            .output()
            .expect("the inspector runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{method:?}: {stdout}\n{stderr}");
        let answer: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{method:?} answered no JSON ({err}): {stdout}"));
        (answer, stderr)
    };
    let (listed, notes) = run(&["--method", "tools/list"]);
    let names: BTreeSet<&str> = listed["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    let modules: BTreeSet<&str> = connector_core::Registry::global()
        .modules()
        .map(|m| m.name())
        .collect();
    assert_eq!(names, modules);
    // Its portability check of the schemas finds no error (warnings: two outputs that are any
    // JSON value).
    assert!(
        !notes.contains("Schema portability") || notes.contains(" 0 errors"),
        "{notes}"
    );
    let (created, _) = run(&[
        "--method",
        "tools/call",
        "--tool-name",
        "create_bucket",
        "--tool-arg",
        "bucket=inspected",
    ]);
    assert_eq!(created["isError"], false, "{created}");
    assert_eq!(
        created["structuredContent"]["bucket"], "inspected",
        "{created}"
    );
}

/// The MCP Inspector's command (`S3C_TEST_INSPECTOR`, from scripts/test), as [`kit`] does.
fn inspector() -> Option<String> {
    match std::env::var("S3C_TEST_INSPECTOR") {
        Ok(path) => Some(path),
        Err(_) if std::env::var("S3C_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
            panic!("S3C_TEST_INSPECTOR is not set: run the tests with scripts/test")
        }
        Err(_) => {
            eprintln!("skipped: S3C_TEST_INSPECTOR is not set (scripts/test sets it up)");
            None
        }
    }
}

#[test]
fn the_pinned_annotations_cover_the_registry() {
    let registry = connector_core::Registry::global();
    let pinned_names: BTreeSet<&str> = ANNOTATIONS.iter().map(|row| row.0).collect();
    let modules: BTreeSet<&str> = registry.modules().map(|m| m.name()).collect();
    assert_eq!(pinned_names, modules);
    assert_eq!(read_only_tools().len(), 10);
    assert_eq!(destructive_tools().len(), 10);
}

// 9 (the guards; the run slot and header timeout cases are not written yet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_guards_apply_to_mcp() {
    let state = tempfile::tempdir().expect("a temporary directory");
    let (server, _) = Transport::http(state.path()).await;
    let url = format!("{}/mcp", server.url());
    let http = reqwest::Client::new();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "guards", "version": "0"}}});
    let post = |headers: &[(&str, &str)]| {
        let mut request = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move { request.send().await.expect("an answer").status().as_u16() }
    };
    let bearer = format!("Bearer {HTTP_TOKEN}");
    assert_eq!(
        post(&[("authorization", &bearer)]).await,
        200,
        "the token opens"
    );
    assert_eq!(post(&[]).await, 401, "no token");
    assert_eq!(
        post(&[("authorization", "Bearer not-the-token")]).await,
        401,
        "a wrong token"
    );
    assert_eq!(
        post(&[
            ("authorization", &bearer),
            ("origin", "https://evil.example")
        ])
        .await,
        403,
        "a web page's origin that was not allowed"
    );
    server.shutdown().await;

    // Without a token, only loopback Host names reach it.
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), state.path().to_owned());
    config.local = true;
    let open = serve::start(config).await.expect("start the service");
    let url = format!("{}/mcp", open.url());
    let post = |host: Option<&str>| {
        let mut request = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(host) = host {
            request = request.header("host", host);
        }
        async move { request.send().await.expect("an answer").status().as_u16() }
    };
    assert_eq!(post(None).await, 200, "loopback without a token");
    assert_eq!(
        post(Some("attacker.example")).await,
        401,
        "a rebound DNS name"
    );
    open.shutdown().await;
}
