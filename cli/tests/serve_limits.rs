//! The service against callers who stall, flood or send oversized bodies, over real HTTP on
//! 127.0.0.1: one limit for every module run (503 with Retry-After at once when full), slow
//! headers and bodies cut off, bodies of many tiny JSON values refused without a blow-up in
//! memory, HTTP/2 requests named by `:authority`, and the page's security headers.

use s3_connector::serve::{self, ServeConfig, Server};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest any one step here may take before the test counts it as hanging.
const HANG: Duration = Duration::from_secs(20);

fn config(state: &std::path::Path) -> ServeConfig {
    ServeConfig::new("127.0.0.1:0".parse().unwrap(), state.to_owned())
}

/// A TCP server that accepts connections and never answers, until `release` is called.
struct Staller {
    addr: std::net::SocketAddr,
    release: tokio::sync::watch::Sender<bool>,
}

impl Staller {
    async fn start() -> Staller {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (release, released) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut held = Vec::new();
            let mut released = released;
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => held.push(stream),
                        Err(_) => break,
                    },
                    _ = released.changed() => break,
                }
            }
            // Dropping the listener and the sockets ends every stalled request.
        });
        Staller { addr, release }
    }

    fn connection(&self) -> Value {
        json!({"access_key_id": "AKIDSTALL", "secret_access_key": "stall-secret",
               "endpoint_url": format!("http://{}", self.addr)})
    }
}

async fn post(server: &Server, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url()))
        .json(&body)
        .timeout(HANG)
        .send()
        .await
        .expect("the service answers")
}

#[tokio::test]
async fn module_runs_share_one_limit_and_a_full_service_answers_503_at_once() {
    let state = tempfile::tempdir().unwrap();
    let staller = Staller::start().await;
    let mut config = config(state.path());
    config.max_concurrency = 2;
    config.allowed_endpoints = vec![format!("http://{}", staller.addr).parse().unwrap()];
    let server = serve::start(config).await.unwrap();
    let stalled = |module: &str, input: Value| {
        let url = format!("{}/v1/modules/{module}/run", server.url());
        let body = json!({"connection": staller.connection(), "input": input});
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    // Two runs of two different modules take both slots…
    let first = stalled("list_files", json!({"bucket": "b"}));
    let second = stalled("head_file", json!({"bucket": "b", "key": "k"}));
    let mut taken = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let busy = post(
            &server,
            "/v1/modules/get_bucket_region/run",
            json!({"connection": staller.connection(), "input": {"bucket": "b"}}),
        )
        .await;
        if busy.status() == 503 {
            // …so a third, of yet another module, is turned away at once, with a hint when
            // to come back.
            assert_eq!(busy.headers()["retry-after"], "1");
            let error: Value = busy.json().await.unwrap();
            assert_eq!(error["error"]["kind"], "throttled");
            assert_eq!(error["error"]["retryable"], true);
            taken = true;
            break;
        }
    }
    assert!(taken, "two stalled runs never filled the two run slots");
    // Option lists call S3 too: they take a slot like a run.
    let options = post(
        &server,
        "/v1/options/buckets",
        json!({"connection": staller.connection()}),
    )
    .await;
    assert_eq!(options.status(), 503);
    // Reading the service's description needs no slot.
    let modules = reqwest::get(format!("{}/v1/modules", server.url()))
        .await
        .unwrap();
    assert_eq!(modules.status(), 200);

    let _ = staller.release.send(true);
    for run in [first, second] {
        let status = tokio::time::timeout(HANG, run).await.unwrap().unwrap();
        assert_ne!(status.unwrap(), 503);
    }
    let again = post(&server, "/v1/options/regions", json!({})).await;
    assert_eq!(again.status(), 200);
    server.shutdown().await;
}

/// Reads from `stream` until the server closes it; `None` if it is still open after `HANG`.
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(HANG, stream.read_to_end(&mut received)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn slow_headers_silent_clients_and_slow_bodies_are_cut_off() {
    let state = tempfile::tempdir().unwrap();
    let mut config = config(state.path());
    config.header_timeout = Duration::from_secs(1);
    config.body_timeout = Duration::from_secs(1);
    let server = serve::start(config).await.unwrap();

    // Headers that never end.
    let mut slow_headers = TcpStream::connect(server.addr()).await.unwrap();
    slow_headers
        .write_all(b"GET /v1/modules HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut slow_headers).await.is_some(),
        "a client that never finished its headers kept its connection"
    );

    // A connection that sends nothing at all.
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    assert!(
        read_until_closed(&mut silent).await.is_some(),
        "a silent client kept its connection"
    );

    // The beginning of an HTTP/2 preface, and nothing more.
    let mut half_preface = TcpStream::connect(server.addr()).await.unwrap();
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    assert!(
        read_until_closed(&mut half_preface).await.is_some(),
        "a client that never finished the HTTP/2 preface kept its connection"
    );

    // An HTTP/2 connection that answers pings but never sends a request.
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let (_requests, connection) = h2::client::handshake(tcp).await.unwrap();
    let closed = tokio::time::timeout(HANG, connection).await;
    assert!(
        closed.is_ok(),
        "an HTTP/2 connection without requests was kept open"
    );

    // A body announced but never sent in full: 408, and the connection closed.
    let mut slow_body = TcpStream::connect(server.addr()).await.unwrap();
    slow_body
        .write_all(
            b"POST /v1/options/regions HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"input\":",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow_body)
        .await
        .expect("a client that never finished its body kept its connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"kind\":\"timeout\""), "{answer}");

    // A normal client is unaffected.
    let ok = reqwest::get(format!("{}/v1/modules", server.url()))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn bodies_are_limited_by_route_and_by_shape() {
    let state = tempfile::tempdir().unwrap();
    let server = serve::start(config(state.path())).await.unwrap();
    // A module without file content takes at most 1 MiB…
    let padding = "x".repeat(1024 * 1024);
    let big = post(
        &server,
        "/v1/modules/list_files/run",
        json!({"connection_id": "none", "input": {"bucket": "b", "prefix": padding}}),
    )
    .await;
    assert_eq!(big.status(), 413);
    // …a module that takes content more; an unknown connection is then the only fault.
    let content = post(
        &server,
        "/v1/modules/upload_file/run",
        json!({"connection_id": "none", "input": {"bucket": "b", "file_name": "f",
               "source": {"text": "x".repeat(2 * 1024 * 1024)}}}),
    )
    .await;
    assert_eq!(content.status(), 404);
    // Many tiny values, or deep nesting, are refused before they are built.
    let tiny: Vec<u8> = vec![0; 200_000];
    let many = post(
        &server,
        "/v1/modules/delete_files/run",
        json!({"connection_id": "none", "input": {"bucket": "b", "keys": tiny}}),
    )
    .await;
    assert_eq!(many.status(), 400);
    let error: Value = many.json().await.unwrap();
    assert_eq!(error["error"]["field"], "body");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("values"),
        "{error}"
    );
    // 100 levels: under serde_json's own limit of 128, over the service's 64.
    let deep = format!(
        "{{\"input\": {{\"bucket\": \"b\", \"x\": {}0{}}}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let deep = reqwest::Client::new()
        .post(format!("{}/v1/options/regions", server.url()))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), 400);
    let error: Value = deep.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nested more than 64"),
        "{error}"
    );
    server.shutdown().await;
}

/// Peak resident memory of a process, in KiB (`VmHWM` of /proc/PID/status).
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// A 60 MB body of tiny values once took the service from 85 MB to 4.5 GB: it is refused now
/// at the cost of reading it once.
#[tokio::test]
async fn a_flood_of_tiny_values_does_not_blow_up_memory() {
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3-connector"))
        .args(["serve", "--addr", "127.0.0.1:0", "--state-dir"])
        .arg(state.path())
        .env("S3C_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let url = serde_json::from_str::<Value>(&first_line).unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = peak_memory_kib(child.id());

    let mut body =
        b"{\"connection_id\": \"none\", \"input\": {\"bucket\": \"b\", \"file_name\": \"f\", \
        \"source\": {\"text\": \"x\"}, \"metadata\": {\"m\": \"v\"}, \"x\": ["
            .to_vec();
    while body.len() < 60_000_000 {
        body.extend_from_slice(b"0,");
    }
    body.extend_from_slice(b"0]}}");
    let answer = reqwest::Client::new()
        .post(format!("{url}/v1/modules/upload_file/run"))
        .header("content-type", "application/json")
        .body(body)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let after = peak_memory_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 400);
    let grown_mib = after.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 400,
        "60 MB of tiny values took {grown_mib} MiB (peak {} MiB)",
        after / 1024
    );
}

#[tokio::test]
async fn http2_requests_are_named_by_their_authority() {
    let state = tempfile::tempdir().unwrap();
    let server = serve::start(config(state.path())).await.unwrap();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let answer = h2
        .get(format!("{}/v1/modules", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.version(), reqwest::Version::HTTP_2);
    assert_eq!(answer.status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn the_page_cannot_be_framed_or_sniffed() {
    let state = tempfile::tempdir().unwrap();
    let server = serve::start(config(state.path())).await.unwrap();
    for path in ["/", "/assets/app.js", "/v1/modules"] {
        let answer = reqwest::get(format!("{}{path}", server.url()))
            .await
            .unwrap();
        let headers = answer.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
    server.shutdown().await;
}

/// Memory for request bodies is taken as their bytes arrive: slow uploads that announce large
/// bodies do not lock everyone else out.
#[tokio::test]
async fn slow_large_bodies_hold_only_what_they_sent() {
    let state = tempfile::tempdir().unwrap();
    let mut config = config(state.path());
    config.content_body_limit = 2 * 1024 * 1024;
    config.body_memory = 4 * 1024 * 1024;
    let server = serve::start(config).await.unwrap();
    let mut slow = Vec::new();
    // Together they announce all the memory there is.
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        stream
            .write_all(
                b"POST /v1/modules/upload_file/run HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                  Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{\"input\":",
            )
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = post(&server, "/v1/options/regions", json!({})).await;
    assert_eq!(answer.status(), 200);
    drop(slow);
    server.shutdown().await;
}
