//! The HTTP service over real HTTP on 127.0.0.1: every endpoint, statuses by error kind, the
//! token, the encrypted store across restarts, secrets never in a response or a log line, the
//! OpenAPI document checked by an independent validator, and a bounded load test.

use connector_core::AllowedEndpoint;
use futures_util::StreamExt;
use integration_tests::{PYTHON_VAR, TEST_SECRET_KEY, TestStore};
use s3_connector::serve::{self, ServeConfig, Server};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};

/// Every log line the service writes, captured for the secrets check.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        // As the CLI does: everything at debug, but the in-process S3 server's own request
        // dumps (which print every header) capped at info.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                s3_connector::LOG_CAPS.trim_start_matches(',').to_owned() + ",debug",
            ))
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts the service; modules may send requests to the `stores` given (and Amazon S3).
async fn start(state_dir: &std::path::Path, token: Option<&str>, stores: &[&TestStore]) -> Server {
    logs();
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), state_dir.to_owned());
    config.token = token.map(str::to_owned);
    config.allowed_endpoints = stores.iter().map(|t| allowed(t)).collect();
    serve::start(config).await.expect("start the service")
}

/// The `--allow-endpoint` of a test store.
fn allowed(t: &TestStore) -> AllowedEndpoint {
    t.store.endpoint().parse().unwrap()
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(server: &Server) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: server.url(),
            token: None,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

fn connection_json(t: &TestStore) -> Value {
    json!({"access_key_id": t.store.access_key(), "secret_access_key": TEST_SECRET_KEY,
           "endpoint_url": t.store.endpoint()})
}

#[tokio::test]
async fn every_endpoint_answers_with_json_and_statuses_by_kind() {
    let t = TestStore::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), None, &[&t]).await;
    let c = Client::new(&server);

    let (status, page) = c.get("/").await;
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("<html") || page.as_str().unwrap().contains("<!"));
    let (status, modules) = c.get("/v1/modules").await;
    assert_eq!(status, 200);
    assert_eq!(
        modules.as_array().unwrap().len(),
        integration_tests::s3_modules::module_names().len()
    );
    let (status, module) = c.get("/v1/modules/upload_file").await;
    assert_eq!(status, 200);
    assert_eq!(module["input"]["title"], "Upload File");
    assert_eq!(c.get("/v1/modules/nope").await.0, 404);
    let (status, manifest) = c.get("/v1/manifest").await;
    assert_eq!(
        (status, manifest["app"]["name"].clone()),
        (200, json!("s3-connector"))
    );
    let (status, openapi) = c.get("/openapi.json").await;
    assert_eq!((status, openapi["openapi"].clone()), (200, json!("3.1.0")));
    assert_eq!(c.get("/v1/unknown").await.0, 404);

    // Connections: stored, listed without secrets, used, deleted.
    let (status, stored) = c
        .post(
            "/v1/connections",
            json!({"name": "test", "connection": connection_json(&t)}),
        )
        .await;
    assert_eq!(status, 201, "{stored}");
    let id = stored["id"].as_str().unwrap().to_owned();
    let (_, list) = c.get("/v1/connections").await;
    assert_eq!(list[0]["name"], "test");
    let (status, one) = c.get(&format!("/v1/connections/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["access_key_id"], t.store.access_key());

    let run = |module: &str| format!("/v1/modules/{module}/run");
    let (status, created) = c
        .post(
            &run("create_bucket"),
            json!({"connection_id": id, "input": {"bucket": "api-bucket"}}),
        )
        .await;
    assert_eq!(
        (status, created["bucket"].clone()),
        (200, json!("api-bucket"))
    );
    let (status, up) = c
        .post(
            &run("upload_file"),
            json!({"connection_id": id, "input": {"bucket": "api-bucket", "file_name": "a.txt",
                   "source": {"text": "over http"}}}),
        )
        .await;
    assert_eq!(status, 200, "{up}");
    let (_, got) = c
        .post(&run("get_file"), json!({"connection": connection_json(&t), "input": {"bucket": "api-bucket", "key": "a.txt"}}))
        .await;
    assert_eq!(got["content_text"], "over http");
    let (status, options) = c
        .post("/v1/options/buckets", json!({"connection_id": id}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(options[0]["value"], "api-bucket");
    let (status, regions) = c.post("/v1/options/regions", json!({})).await;
    assert_eq!(status, 200);
    assert!(regions.as_array().unwrap().len() > 20);

    // Errors: a status by kind, with the error JSON.
    let cases = [
        (
            json!({"connection_id": id, "input": {"bucket": "Bad_Name"}}),
            "create_bucket",
            400,
            "invalid_input",
        ),
        (
            json!({"input": {"bucket": "api-bucket"}}),
            "list_files",
            401,
            "auth",
        ),
        (
            json!({"connection_id": id, "input": {"bucket": "api-bucket", "key": "none"}}),
            "get_file",
            404,
            "not_found",
        ),
        (
            json!({"connection_id": id, "input": {"bucket": "api-bucket"}}),
            "create_bucket",
            409,
            "conflict",
        ),
        (
            json!({"connection_id": "no-such-id", "input": {"bucket": "api-bucket"}}),
            "list_files",
            404,
            "not_found",
        ),
        (
            json!({"connection": {"access_key_id": t.store.access_key(), "secret_access_key": "wrong-secret-xyz",
                               "endpoint_url": t.store.endpoint()}, "input": {"bucket": "api-bucket"}}),
            "list_files",
            403,
            "signature_mismatch",
        ),
    ];
    for (body, module, status, kind) in cases {
        let (got_status, error) = c.post(&run(module), body.clone()).await;
        assert_eq!(got_status, status, "{module} {body}: {error}");
        assert_eq!(error["error"]["kind"], kind, "{error}");
    }
    // No JSON body at all: 415, with the error JSON.
    let (status, error) = c
        .call(reqwest::Method::POST, &run("list_files"), None)
        .await;
    assert_eq!(
        (status, error["error"]["field"].clone()),
        (415, json!("body")),
        "{error}"
    );
    let (status, error) = c
        .post(
            &run("create_bucket"),
            json!({"connection_id": id, "input": {"bucket": "ok-name"}, "extra": 1}),
        )
        .await;
    assert_eq!(
        (status, error["error"]["field"].clone()),
        (400, json!("body"))
    );

    let (status, _) = c
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/connections/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(c.get(&format!("/v1/connections/{id}")).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_guards_the_api_and_other_addresses_need_one() {
    let dir = tempfile::tempdir().unwrap();
    // Refused before anything is bound.
    let open = ServeConfig::new("0.0.0.0:0".parse().unwrap(), dir.path().to_owned());
    let err = serve::start(open).await.err().unwrap();
    assert_eq!(err.field(), Some("addr"));
    assert!(err.message().contains("token"));

    let token = "a-long-enough-test-token";
    let server = start(dir.path(), Some(token), &[]).await;
    let mut c = Client::new(&server);
    let (status, error) = c.get("/v1/modules").await;
    assert_eq!(status, 401);
    assert_eq!(error["error"]["kind"], "auth");
    assert_eq!(c.get("/openapi.json").await.0, 401);
    c.token = Some("a-long-enough-test-tokem".into());
    assert_eq!(c.get("/v1/modules").await.0, 401);
    c.token = Some(token.into());
    assert_eq!(c.get("/v1/modules").await.0, 200);
    // The page itself is public; what it calls is not.
    c.token = None;
    assert_eq!(c.get("/").await.0, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn stored_connections_survive_a_restart_encrypted_and_secrets_never_show() {
    let t = TestStore::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), None, &[&t]).await;
    let c = Client::new(&server);
    let secret_connection = json!({"access_key_id": t.store.access_key(), "secret_access_key": TEST_SECRET_KEY,
        "session_token": "session-token-never-shown", "endpoint_url": t.store.endpoint()});
    let (status, stored) = c
        .post(
            "/v1/connections",
            json!({"name": "kept", "connection": secret_connection}),
        )
        .await;
    assert_eq!(status, 201);
    let id = stored["id"].as_str().unwrap().to_owned();
    let mut responses = vec![
        stored.to_string(),
        c.get("/v1/connections").await.1.to_string(),
    ];
    let (_, created) = c
        .post(
            "/v1/modules/create_bucket/run",
            json!({"connection_id": id, "input": {"bucket": "kept-bucket"}}),
        )
        .await;
    responses.push(created.to_string());
    server.shutdown().await;

    // Every file of the state folder (the database, its write-ahead log, the key file).
    let on_disk: String = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|file| {
            String::from_utf8_lossy(&std::fs::read(file.unwrap().path()).unwrap()).into_owned()
        })
        .collect();
    for text in responses.iter().chain([&on_disk]) {
        assert!(
            !text.contains(TEST_SECRET_KEY) && !text.contains("session-token-never-shown"),
            "{text}"
        );
    }

    let again = start(dir.path(), None, &[&t]).await;
    let c = Client::new(&again);
    let (_, list) = c.get("/v1/connections").await;
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["has_session_token"], true);
    let (status, files) = c
        .post(
            "/v1/modules/list_files/run",
            json!({"connection_id": id, "input": {"bucket": "kept-bucket"}}),
        )
        .await;
    assert_eq!(status, 200, "{files}");
    again.shutdown().await;

    // Another key: a clear error, not garbage.
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_owned());
    config.master_key = Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into());
    let err = serve::start(config).await.err().unwrap();
    assert!(err.message().contains("another key"), "{}", err.message());

    let logs = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
    assert!(logs.contains("serving"), "no logs were captured");
    assert!(!logs.contains(TEST_SECRET_KEY) && !logs.contains("session-token-never-shown"));
}

/// The committed OpenAPI document is what the code generates (checked in generated.rs) and
/// valid for an independent validator (openapi-spec-validator, from PyPI).
#[tokio::test]
async fn the_openapi_document_is_valid() {
    let Ok(python) = std::env::var("S3C_TEST_TOOLS_PYTHON") else {
        if std::env::var("S3C_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
            panic!("S3C_TEST_TOOLS_PYTHON is not set: run the tests with scripts/test");
        }
        eprintln!("skipped: S3C_TEST_TOOLS_PYTHON is not set ({PYTHON_VAR} neither needed)");
        return;
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifest/openapi.json");
    let output = std::process::Command::new(python)
        .args(["-m", "openapi_spec_validator", path])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// 10,000 presign_url and 2,000 list_files invocations at 64 at a time, on loopback: zero
/// errors. The throughput is printed (recorded in docs/BENCHMARKS.md from a release run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_load_test_has_no_errors() {
    let t = TestStore::start().await;
    t.bucket("load").await;
    for i in 0..20 {
        t.ok(
            "upload_file",
            json!({"bucket": "load", "file_name": format!("f{i}.txt"), "source": {"text": "x"}}),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), None, &[&t]).await;
    let c = Client::new(&server);
    let (_, stored) = c
        .post(
            "/v1/connections",
            json!({"connection": connection_json(&t)}),
        )
        .await;
    let id = stored["id"].as_str().unwrap().to_owned();
    let (presigns, lists) = (10_000usize, 2_000usize);
    let started = std::time::Instant::now();
    let requests = (0..presigns + lists).map(|i| {
        let (c, id) = (&c, &id);
        async move {
            let (path, input) = if i < presigns {
                (
                    "/v1/modules/presign_url/run",
                    json!({"bucket": "load", "key": format!("f{}.txt", i % 20)}),
                )
            } else {
                ("/v1/modules/list_files/run", json!({"bucket": "load"}))
            };
            c.post(path, json!({"connection_id": id, "input": input}))
                .await
        }
    });
    let results: Vec<(u16, Value)> = futures_util::stream::iter(requests)
        .buffer_unordered(64)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let failures: Vec<&(u16, Value)> = results
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    println!(
        "load: {} invocations in {:.2} s = {:.0}/s ({presigns} presign_url, {lists} list_files, 64 at a time)",
        results.len(),
        elapsed.as_secs_f64(),
        results.len() as f64 / elapsed.as_secs_f64()
    );
    server.shutdown().await;
}

/// Without a token the service answers only requests addressed to a loopback name (no DNS
/// rebinding), from no foreign web origin; local files are off unless a folder is given; a body
/// over the limit is 413.
#[tokio::test]
async fn the_service_keeps_to_itself() {
    let t = TestStore::start().await;
    t.bucket("guarded").await;
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("in.txt"), b"from the files folder").unwrap();
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_owned());
    config.files_dir = Some(files.path().to_owned());
    config.content_body_limit = 1024 * 1024;
    config.allowed_endpoints = vec![allowed(&t)];
    let server = serve::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/modules", server.url());

    let rebound = http
        .get(&url)
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 401);
    let foreign = http
        .get(&url)
        .header("origin", "https://attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 401);
    let local = http
        .get(&url)
        .header("origin", server.url())
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 200);

    let c = Client::new(&server);
    let run = |input: Value| json!({"connection": connection_json(&t), "input": input});
    let (status, error) = c
        .post(
            "/v1/modules/upload_file/run",
            run(json!({"bucket": "guarded", "file_name": "x", "source": {"path": "/etc/passwd"}})),
        )
        .await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["error"]["field"], "source.path");
    let (status, up) = c
        .post(
            "/v1/modules/upload_file/run",
            run(json!({"bucket": "guarded", "file_name": "in.txt", "source": {"path": "in.txt"}})),
        )
        .await;
    assert_eq!(status, 200, "{up}");
    let (status, error) = c
        .post(
            "/v1/modules/get_file/run",
            run(json!({"bucket": "guarded", "key": "in.txt", "save_to": "../out.txt"})),
        )
        .await;
    assert_eq!(
        (status, error["error"]["field"].clone()),
        (403, json!("save_to"))
    );
    let (status, got) = c
        .post(
            "/v1/modules/get_file/run",
            run(json!({"bucket": "guarded", "key": "in.txt", "save_to": "copies/"})),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        std::fs::read(files.path().join("copies/in.txt")).unwrap(),
        b"from the files folder"
    );

    let big = "x".repeat(2 * 1024 * 1024);
    let (status, error) = c
        .post(
            "/v1/modules/upload_file/run",
            run(json!({"bucket": "guarded", "file_name": "big", "source": {"text": big}})),
        )
        .await;
    assert_eq!(
        (status, error["error"]["field"].clone()),
        (413, json!("body"))
    );
    server.shutdown().await;
}

/// The service sends requests only to Amazon S3 and the endpoints its operator allowed: an
/// inline or stored connection naming anything else (a loopback service, the cloud metadata
/// address) is refused before a byte is sent.
#[tokio::test]
async fn the_service_sends_only_where_the_operator_allows() {
    let t = TestStore::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), None, &[&t]).await;
    let c = Client::new(&server);
    let to = |endpoint: &str| {
        json!({"access_key_id": "AKIDELSEWHERE", "secret_access_key": "elsewhere-secret",
               "endpoint_url": endpoint})
    };
    for endpoint in [
        elsewhere.as_str(),
        "http://169.254.169.254",
        "http://localhost:9",
    ] {
        let (status, error) = c
            .post(
                "/v1/modules/make_api_call/run",
                json!({"connection": to(endpoint), "input": {"method": "PUT",
                       "url": "/latest/api/token"}}),
            )
            .await;
        assert_eq!(status, 403, "{endpoint}: {error}");
        assert_eq!(error["error"]["kind"], "access_denied");
        assert_eq!(error["error"]["field"], "connection.endpoint_url");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--allow-endpoint"),
            "{error}"
        );
        let (status, error) = c
            .post("/v1/options/buckets", json!({"connection": to(endpoint)}))
            .await;
        assert_eq!(
            (status, error["error"]["kind"].clone()),
            (403, json!("access_denied"))
        );
        let (status, _) = c
            .post("/v1/connections", json!({"connection": to(endpoint)}))
            .await;
        assert_eq!(status, 403, "{endpoint} was stored");
    }
    // Nothing reached the other service.
    let accepted =
        tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the service connected to {elsewhere}");
    // The allowed store works.
    let (status, _) = c
        .post(
            "/v1/modules/create_bucket/run",
            json!({"connection": connection_json(&t), "input": {"bucket": "allowed"}}),
        )
        .await;
    assert_eq!(status, 200);
    server.shutdown().await;
}

/// A secret that breaks its field's rules is refused without being repeated: in an inline or a
/// stored connection, or in a header of a module's input (an SSE-C key).
#[tokio::test]
async fn refusals_never_repeat_a_secret() {
    let t = TestStore::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), None, &[&t]).await;
    let c = Client::new(&server);
    let base = connection_json(&t);
    let with = |field: &str, value: Value| {
        let mut connection = base.clone();
        connection[field] = value;
        connection
    };
    let secrets = [
        ("secret_access_key", json!("SECRETKEYVALUE0123456789\n")),
        ("secret_access_key", json!("S".repeat(5000))),
        ("session_token", json!("SESSIONTOKEN0123 456789")),
        (
            "endpoint_url",
            json!("http://someone:URLPASSWORD0123@127.0.0.1:9"),
        ),
    ];
    for (field, value) in secrets {
        let secret = value.as_str().unwrap().trim().to_owned();
        let shown = &secret[..secret.len().min(16)];
        let connection = with(field, value);
        for (path, body) in [
            ("/v1/connections", json!({"connection": connection})),
            (
                "/v1/modules/list_buckets/run",
                json!({"connection": connection, "input": {}}),
            ),
            ("/v1/options/buckets", json!({"connection": connection})),
        ] {
            let (status, answer) = c.post(path, body).await;
            let text = answer.to_string();
            assert!(!text.contains(shown), "{path} repeated {field}: {text}");
            // Refused as invalid, or (a secret that is only odd) refused by the store.
            assert!(matches!(status, 400 | 403), "{path} {field}: {answer}");
            if status == 400 {
                let named = answer["error"]["field"].as_str().unwrap_or_default();
                assert!(named.contains(field), "{answer}");
            }
        }
    }
    let key = "SSECUSTOMERKEY0123456789abcdef==";
    let (status, answer) = c
        .post(
            "/v1/modules/upload_file/run",
            json!({"connection": base, "input": {"bucket": "b", "file_name": "f",
                   "source": {"text": "x"},
                   "headers": {"x-amz-server-side-encryption-customer-key": format!("{key}\n")}}}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(!answer.to_string().contains(key), "{answer}");
    server.shutdown().await;
}

/// Two services with `--local` on one state folder each keep their own `local` connection (in
/// memory, not in the shared store), and neither removes the other's.
#[tokio::test]
async fn local_connections_are_per_service() {
    let dir = tempfile::tempdir().unwrap();
    let local = |dir: &std::path::Path| {
        let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.to_owned());
        config.local = true;
        config
    };
    let first = serve::start(local(dir.path())).await.unwrap();
    let second = serve::start(local(dir.path())).await.unwrap();
    for server in [&first, &second] {
        let c = Client::new(server);
        let (_, list) = c.get("/v1/connections").await;
        let locals: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == "local")
            .collect();
        assert_eq!(locals.len(), 1, "{list}");
        assert_eq!(locals[0]["id"], "local");
        let (status, created) = c
            .post(
                "/v1/modules/list_buckets/run",
                json!({"connection_id": "local", "input": {}}),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        let (status, _) = c
            .call(reqwest::Method::DELETE, "/v1/connections/local", None)
            .await;
        assert_eq!(status, 409);
    }
    first.shutdown().await;
    second.shutdown().await;
}
