//! The fault-injecting proxy itself, in front of the in-process s3s-fs server (which checks
//! every signature and body checksum), used by a plain HTTP client with presigned URLs, and by
//! the modules through a connection whose endpoint is the proxy.

use connector_core::{Connection, Context, Registry};
use integration_tests::TestStore;
use integration_tests::fault_proxy::{Fault, FaultProxy, FaultRule, Match, Seen};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

const BUCKET: &str = "faults";

/// A store with a bucket, and a proxy in front of it.
async fn setup() -> (TestStore, FaultProxy) {
    let t = TestStore::start().await;
    t.bucket(BUCKET).await;
    let proxy = FaultProxy::start(t.store.addr()).await;
    (t, proxy)
}

/// A connection to the store through the proxy.
fn via(t: &TestStore, proxy: &FaultProxy) -> Connection {
    t.connection().with_endpoint_url(proxy.endpoint())
}

/// A presigned link (and the headers it binds) for `key`, through the proxy when given.
async fn link(
    t: &TestStore,
    proxy: Option<&FaultProxy>,
    method: &str,
    key: &str,
) -> (String, Vec<(String, String)>) {
    let connection = match proxy {
        Some(proxy) => via(t, proxy),
        None => t.connection(),
    };
    let out = t
        .run_with(
            connection,
            "presign_url",
            json!({"method": method, "bucket": BUCKET, "key": key}),
        )
        .await
        .unwrap_or_else(|err| panic!("presign {method} {key}: {}", err.to_json()));
    let headers = out["headers"]
        .as_object()
        .map(|headers| {
            headers
                .iter()
                .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    (out["url"].as_str().unwrap().to_owned(), headers)
}

/// Bytes that differ from one offset to the next.
fn content(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64).wrapping_mul(2_654_435_761).rotate_right(13) as u8)
        .collect()
}

/// Uploads `bytes` as `key` with a presigned PUT, through the proxy when given.
async fn put(
    http: &reqwest::Client,
    t: &TestStore,
    proxy: Option<&FaultProxy>,
    key: &str,
    bytes: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    let (url, headers) = link(t, proxy, "PUT", key).await;
    let mut request = http.put(url).body(bytes);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send().await
}

/// Stores `bytes` as `key`, without the proxy.
async fn store(t: &TestStore, key: &str, bytes: Vec<u8>) {
    let response = put(&reqwest::Client::new(), t, None, key, bytes)
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// What the store holds under `key` (read without the proxy), or `None`.
async fn stored(t: &TestStore, key: &str) -> Option<Vec<u8>> {
    let (url, _) = link(t, None, "GET", key).await;
    let response = reqwest::get(url).await.unwrap();
    match response.status().as_u16() {
        200 => Some(response.bytes().await.unwrap().to_vec()),
        404 => None,
        status => panic!("GET {key}: {status} {}", response.text().await.unwrap()),
    }
}

/// A body read chunk by chunk: the bytes that arrived, and the error that ended it, if any.
async fn read_body(mut response: reqwest::Response) -> (Vec<u8>, Option<reqwest::Error>) {
    let mut got = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => return (got, None),
            Err(err) => return (got, Some(err)),
        }
    }
}

fn seen(method: &str, status: u16, fault: Option<Fault>) -> (String, u16, Option<Fault>) {
    (method.to_owned(), status, fault)
}

fn summary(requests: &[Seen]) -> Vec<(String, u16, Option<Fault>)> {
    requests
        .iter()
        .map(|seen| (seen.method.clone(), seen.status, seen.fault.clone()))
        .collect()
}

#[tokio::test]
async fn requests_pass_through_byte_exact_with_keep_alive() {
    let (t, proxy) = setup().await;
    let http = reqwest::Client::new();
    let data = content(3 * 1024 * 1024 + 17);
    let before = t.requests();

    let response = put(&http, &t, Some(&proxy), "big.bin", data.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let (url, _) = link(&t, Some(&proxy), "GET", "big.bin").await;
    for _ in 0..2 {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-length"],
            data.len().to_string().as_str()
        );
        let (got, err) = read_body(response).await;
        assert!(err.is_none(), "{err:?}");
        assert!(got == data, "the body changed on the way");
    }
    let (url, _) = link(&t, Some(&proxy), "HEAD", "big.bin").await;
    let response = http.head(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        data.len().to_string().as_str()
    );

    // Keys whose paths are percent-encoded: the request target is passed on exactly, or the
    // signature (made for the path as sent) would not match.
    let keys = [
        "with space.txt",
        "unicode/ünïcödé/日本語/файл.txt",
        "punct/+ = : @ , ; ! ' * $ ( ) [ ] | & ~ %.txt",
    ];
    for key in keys {
        let response = put(&http, &t, Some(&proxy), key, key.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "{key}: {}",
            response.text().await.unwrap()
        );
        let (url, _) = link(&t, Some(&proxy), "GET", key).await;
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{key}");
        assert_eq!(response.bytes().await.unwrap(), key.as_bytes());
    }
    assert_eq!(proxy.connections(), 1, "keep-alive reuses the connection");
    let requests = proxy.requests();
    assert_eq!(requests.len(), 4 + 2 * keys.len());
    assert!(
        requests
            .iter()
            .all(|seen| seen.status == 200 && seen.fault.is_none()),
        "{requests:?}"
    );
    assert!(requests[0].path_and_query.starts_with("/faults/big.bin?"));
    assert!(
        requests[6]
            .path_and_query
            .starts_with("/faults/unicode/%C3%BCn%C3%AFc%C3%B6d%C3%A9/"),
        "{}",
        requests[6].path_and_query
    );
    assert_eq!(proxy.count(&Match::get()), 2 + keys.len());
    assert_eq!(proxy.count(&Match::put().path("big.bin")), 1);
    assert_eq!(t.requests() - before, requests.len() as u64);

    // Requests signed in headers (the host is the proxy's), through the modules.
    let ctx = Context::new(via(&t, &proxy)).unwrap();
    let registry = Registry::global();
    registry
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": BUCKET, "file_name": "module.txt", "source": {"text": "via the proxy"}}),
        )
        .await
        .unwrap();
    let got = registry
        .invoke(
            &ctx,
            "get_file",
            json!({"bucket": BUCKET, "key": "module.txt"}),
        )
        .await
        .unwrap();
    assert_eq!(got["content_text"], "via the proxy");
}

#[tokio::test]
async fn status_faults_are_answered_without_the_upstream() {
    let (t, proxy) = setup().await;
    let http = reqwest::Client::new();
    store(&t, "obj.txt", b"the content".to_vec()).await;
    let (url, _) = link(&t, Some(&proxy), "GET", "obj.txt").await;

    proxy.inject(FaultRule::new(Match::get().path("obj.txt"), Fault::slow_down()).times(2));
    proxy.inject(FaultRule::new(Match::any(), Fault::internal_error()));
    assert_eq!(proxy.pending(), 3);
    let before = t.requests();
    for (status, code) in [(503, "SlowDown"), (503, "SlowDown"), (500, "InternalError")] {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["content-type"], "application/xml");
        assert_eq!(
            response.text().await.unwrap(),
            format!(
                "<Error><Code>{code}</Code><Message>injected</Message>\
                 <RequestId>fault-proxy</RequestId></Error>"
            )
        );
    }
    assert_eq!(t.requests(), before, "the upstream saw none of them");
    assert_eq!(proxy.pending(), 0);
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "the content");
    assert_eq!(t.requests(), before + 1);
    assert_eq!(
        summary(&proxy.requests()),
        [
            seen("GET", 503, Some(Fault::slow_down())),
            seen("GET", 503, Some(Fault::slow_down())),
            seen("GET", 500, Some(Fault::internal_error())),
            seen("GET", 200, None),
        ]
    );

    // An upload answered with an error while its body is being sent: the client gets the
    // answer, and the upstream never sees the upload.
    proxy.inject(FaultRule::new(Match::put(), Fault::status(503, "SlowDown")));
    let response = put(&http, &t, Some(&proxy), "upload.bin", content(2 << 20))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>SlowDown</Code>")
    );
    assert_eq!(stored(&t, "upload.bin").await, None);

    // A HEAD answer has the headers and no body.
    proxy.inject(FaultRule::new(
        Match::head(),
        Fault::status(404, "NoSuchKey"),
    ));
    let (url, _) = link(&t, Some(&proxy), "HEAD", "obj.txt").await;
    let response = http.head(&url).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), "");
    let response = http.head(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], "11");
}

#[tokio::test]
async fn rules_are_used_in_order_by_the_requests_they_match() {
    let (t, proxy) = setup().await;
    let http = reqwest::Client::new();
    store(&t, "a b.txt", b"a".to_vec()).await;
    store(&t, "c.txt", b"c".to_vec()).await;
    let (a, _) = link(&t, Some(&proxy), "GET", "a b.txt").await;
    let (c, _) = link(&t, Some(&proxy), "GET", "c.txt").await;

    proxy.inject(FaultRule::new(Match::put(), Fault::status(500, "PutOnly")));
    proxy.inject(FaultRule::new(
        Match::get().path("a%20b"),
        Fault::status(503, "First"),
    ));
    proxy.inject(FaultRule::new(
        Match::any().query("X-Amz-Signature="),
        Fault::status(503, "Second"),
    ));
    proxy.inject(FaultRule::new(Match::any(), Fault::status(503, "Third")).times(0));
    assert_eq!(proxy.pending(), 3, "a rule for no request is ignored");

    let code = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let code = body
            .split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map(|(code, _)| code.to_owned());
        (status, code)
    };
    // c.txt: not the first GET rule's path, so the second rule.
    assert_eq!(
        code(http.get(&c).send().await.unwrap()).await,
        (503, Some("Second".to_owned()))
    );
    assert_eq!(
        code(http.get(&a).send().await.unwrap()).await,
        (503, Some("First".to_owned()))
    );
    assert_eq!(code(http.get(&a).send().await.unwrap()).await, (200, None));
    assert_eq!(proxy.pending(), 1);
    proxy.clear();
    assert_eq!(proxy.pending(), 0);
    assert_eq!(proxy.count(&Match::get().path("a%20b")), 2);
    assert_eq!(
        proxy.count(&Match::method("get").query("X-Amz-Expires=")),
        3
    );
    assert_eq!(proxy.count(&Match::put()), 0);

    let m = Match::get().path("/b/k").query("uploadId=");
    assert!(m.matches("GET", "/b/k?uploadId=1"));
    assert!(m.matches("get", "/b/key?x=1&uploadId=1"));
    assert!(!m.matches("PUT", "/b/k?uploadId=1"));
    assert!(!m.matches("GET", "/b/k"));
    assert!(!m.matches("GET", "/b/x?uploadId=/b/k"));
    assert!(Match::any().matches("DELETE", "/"));
}

#[tokio::test]
async fn drop_response_cuts_the_body_after_exact_bytes() {
    let (t, proxy) = setup().await;
    let http = reqwest::Client::new();
    let data = content(4 << 20);
    store(&t, "big.bin", data.clone()).await;
    let (url, _) = link(&t, Some(&proxy), "GET", "big.bin").await;

    for after in [3_000_001, 1, 0] {
        proxy.inject_once(Match::get(), Fault::DropResponse { after_bytes: after });
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-length"],
            data.len().to_string().as_str(),
            "the real length"
        );
        let (got, err) = read_body(response).await;
        assert!(err.is_some(), "the client sees the cut as an error");
        assert_eq!(got.len() as u64, after);
        assert!(got == data[..after as usize]);
    }
    // Then all is well again (on a new connection).
    let (got, err) = read_body(http.get(&url).send().await.unwrap()).await;
    assert!(err.is_none() && got == data);
    assert_eq!(
        summary(&proxy.requests())[..2],
        [
            seen(
                "GET",
                200,
                Some(Fault::DropResponse {
                    after_bytes: 3_000_001
                })
            ),
            seen("GET", 200, Some(Fault::DropResponse { after_bytes: 1 })),
        ]
    );

    // Through the modules: with its downloads cut, get_file either fails and leaves no file,
    // or (resuming) saves exactly the file; never a partial one.
    proxy.inject(FaultRule::new(Match::get(), Fault::DropResponse { after_bytes: 1000 }).times(5));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    let result = t
        .run_with(
            via(&t, &proxy),
            "get_file",
            json!({"bucket": BUCKET, "key": "big.bin", "save_to": target.to_str().unwrap()}),
        )
        .await;
    match result {
        Err(err) => assert!(!target.exists(), "{}", err.to_json()),
        Ok(_) => assert!(std::fs::read(&target).unwrap() == data),
    }
    assert!(proxy.count(&Match::get()) > 4);
}

#[tokio::test]
async fn drop_request_cuts_the_upload() {
    let (t, proxy) = setup().await;
    let http = reqwest::Client::new();

    proxy.inject_once(
        Match::put(),
        Fault::DropRequest {
            after_bytes: 100_000,
        },
    );
    let result = put(&http, &t, Some(&proxy), "cut.bin", content(2 << 20)).await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(stored(&t, "cut.bin").await, None);
    assert_eq!(
        summary(&proxy.requests()),
        [seen(
            "PUT",
            0,
            Some(Fault::DropRequest {
                after_bytes: 100_000
            })
        )]
    );

    // A body no longer than `after_bytes` reaches the upstream whole; its answer is lost.
    proxy.inject_once(
        Match::put(),
        Fault::DropRequest {
            after_bytes: u64::MAX,
        },
    );
    let result = put(&http, &t, Some(&proxy), "whole.bin", b"all of it".to_vec()).await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(stored(&t, "whole.bin").await.unwrap(), b"all of it");
}

/// A fake upstream that reads one request until the connection ends: the body bytes it got.
async fn counting_upstream() -> (std::net::SocketAddr, tokio::task::JoinHandle<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let head = got
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("a request head");
        got.len() - head - 4
    });
    (addr, task)
}

#[tokio::test]
async fn drop_request_relays_exact_bytes() {
    for after in [0, 1, 65_537, 1_500_000] {
        let (upstream, received) = counting_upstream().await;
        let proxy = FaultProxy::start(upstream).await;
        proxy.inject_once(Match::any(), Fault::DropRequest { after_bytes: after });
        let result = reqwest::Client::new()
            .put(format!("{}/bucket/key", proxy.endpoint()))
            .body(content(3 << 20))
            .send()
            .await;
        assert!(result.is_err(), "{result:?}");
        let received = tokio::time::timeout(Duration::from_secs(10), received)
            .await
            .expect("the upstream connection was closed")
            .unwrap();
        assert_eq!(received as u64, after);
    }
}

#[tokio::test]
async fn stall_delays_then_cuts() {
    let (t, proxy) = setup().await;
    let data = content(100_000);
    store(&t, "slow.bin", data.clone()).await;
    let (url, _) = link(&t, Some(&proxy), "GET", "slow.bin").await;

    let stall = Duration::from_millis(600);
    proxy.inject_once(
        Match::get(),
        Fault::Stall {
            after_bytes: 10,
            for_: stall,
        },
    );
    let started = Instant::now();
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let (got, err) = read_body(response).await;
    let elapsed = started.elapsed();
    assert!(err.is_some());
    assert!(got == data[..10]);
    assert!(
        elapsed >= stall && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );

    // A client with a read timeout gives up first.
    proxy.inject_once(
        Match::get(),
        Fault::Stall {
            after_bytes: 50_000,
            for_: Duration::from_secs(5),
        },
    );
    let http = reqwest::Client::builder()
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let (got, err) = read_body(http.get(&url).send().await.unwrap()).await;
    assert!(got == data[..50_000]);
    assert!(err.expect("a timeout").is_timeout());
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn flip_response_byte_changes_exactly_one_byte() {
    let (t, proxy) = setup().await;
    let http = reqwest::Client::new();
    let data = content(300_000);
    store(&t, "flip.bin", data.clone()).await;
    let (url, _) = link(&t, Some(&proxy), "GET", "flip.bin").await;

    for at in [0u64, 200_001, 299_999] {
        proxy.inject_once(Match::get(), Fault::FlipResponseByte { at });
        let got = http.get(&url).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(got.len(), data.len());
        let differ: Vec<usize> = (0..data.len()).filter(|&i| got[i] != data[i]).collect();
        assert_eq!(differ, [at as usize]);
        assert_eq!(got[at as usize], data[at as usize] ^ 0xFF);
    }
    // Past the end: unchanged.
    proxy.inject_once(Match::get(), Fault::FlipResponseByte { at: 300_000 });
    assert!(http.get(&url).send().await.unwrap().bytes().await.unwrap() == data);
    assert_eq!(proxy.connections(), 1);
}

#[tokio::test]
async fn flip_request_byte_is_refused_by_the_store() {
    let (t, proxy) = setup().await;
    let data = content(64 * 1024);
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&data)
    };

    // Signed payload and Content-MD5: the store refuses the changed body (s3s-fs answers a
    // SHA-256 mismatch with 500 InternalError, where S3 says 400 XAmzContentSHA256Mismatch).
    proxy.inject(FaultRule::new(Match::put(), Fault::FlipRequestByte { at: 1000 }).times(10));
    let ctx = Context::new(via(&t, &proxy)).unwrap();
    let result = Registry::global()
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": BUCKET, "file_name": "flipped.bin", "source": {"base64": encoded}}),
        )
        .await;
    let err = result.expect_err("the changed upload is refused");
    let puts: Vec<Seen> = proxy
        .requests()
        .into_iter()
        .filter(|seen| seen.method == "PUT")
        .collect();
    assert!(!puts.is_empty());
    assert!(
        puts.iter()
            .all(|seen| seen.status >= 400 && seen.fault.is_some()),
        "{puts:?} {}",
        err.to_json()
    );
    assert_eq!(stored(&t, "flipped.bin").await, None);
    proxy.clear();

    // A presigned PUT's payload is unsigned: the change goes through, exactly one byte.
    proxy.inject_once(Match::put(), Fault::FlipRequestByte { at: 5 });
    let response = put(
        &reqwest::Client::new(),
        &t,
        Some(&proxy),
        "unsigned.bin",
        data.clone(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let mut expected = data;
    expected[5] ^= 0xFF;
    assert!(stored(&t, "unsigned.bin").await.unwrap() == expected);
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_bad_gateway() {
    let upstream = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let proxy = FaultProxy::start(upstream).await;
    let response = reqwest::get(format!("{}/bucket/key", proxy.endpoint()))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>BadGateway</Code>")
    );
    assert_eq!(proxy.requests()[0].status, 502);
}

#[tokio::test]
async fn the_proxy_stops_when_dropped() {
    let (t, proxy) = setup().await;
    store(&t, "x.txt", b"x".to_vec()).await;
    let (url, _) = link(&t, Some(&proxy), "GET", "x.txt").await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    let addr = proxy.addr();
    drop(proxy);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the proxy still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The kept-alive connection is closed too.
    assert!(http.get(&url).send().await.is_err());
}
