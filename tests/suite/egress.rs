//! Where a service lets requests go: with a restricted egress policy, a connection may reach
//! Amazon S3 and STS and the endpoints the operator allowed, nothing else. Refused requests must
//! not reach the place at all, so the places here are loopback listeners that count the
//! connections made to them. Addresses outside this host (169.254.169.254) are only ever refused
//! before any request is made: these tests never send to them.

use connector_core::wire::client::ClientOptions;
use connector_core::{
    Connection, Context, EgressPolicy, Error, ErrorKind, Method, Registry, S3Client, Target,
};
use integration_tests::TestStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A loopback TCP listener that counts the connections made to it (and closes each at once).
struct CountingListener {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl CountingListener {
    async fn start() -> CountingListener {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        CountingListener { port, connections }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Runs a module as the service does: a context made with the operator's policy, then the
/// module by name.
async fn run(
    policy: &EgressPolicy,
    connection: Connection,
    module: &str,
    input: Value,
) -> Result<Value, Error> {
    let ctx = Context::with_egress_policy(connection, policy.clone())?;
    Registry::global().invoke(&ctx, module, input).await
}

fn assert_refused(result: Result<Value, Error>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(
        err.kind(),
        ErrorKind::AccessDenied,
        "{what}: {}",
        err.message()
    );
    assert_eq!(err.field(), Some("connection.endpoint_url"), "{what}");
    assert!(!err.is_retryable(), "{what}");
    assert!(
        err.message().contains("--allow-endpoint"),
        "{what}: {}",
        err.message()
    );
}

/// Modules that send requests of every shape: a listing, a raw call, a download.
fn modules() -> Vec<(&'static str, Value)> {
    vec![
        ("list_buckets", json!({})),
        ("list_files", json!({"bucket": "b"})),
        ("get_file", json!({"bucket": "b", "key": "k.txt"})),
        (
            "make_api_call",
            json!({"method": "PUT", "url": "/latest/api/token", "headers": {"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": "21600"}}),
        ),
    ]
}

#[tokio::test]
async fn the_listener_counts_what_an_unrestricted_client_sends() {
    // The CLI's default: anywhere. This is what the refusals below are measured against.
    let t = TestStore::start().await;
    let listener = CountingListener::start().await;
    let connection = t.connection().with_endpoint_url(listener.endpoint());
    let result = run(
        &EgressPolicy::unrestricted(),
        connection,
        "list_buckets",
        json!({}),
    )
    .await;
    assert!(result.is_err());
    assert!(listener.connections() > 0);
}

#[tokio::test]
async fn modules_refuse_an_endpoint_the_operator_did_not_allow() {
    let t = TestStore::start().await;
    let listener = CountingListener::start().await;
    let policy = EgressPolicy::allowing([t.store.endpoint()]).unwrap();
    let connection = t.connection().with_endpoint_url(listener.endpoint());
    for (module, input) in modules() {
        assert_refused(
            run(&policy, connection.clone(), module, input).await,
            module,
        );
    }
    // The same with a stored connection's shape (path style, a region of its own).
    let stored = Connection::from_json(&format!(
        r#"{{"access_key_id":"AK","secret_access_key":"SK","region":"eu-west-1","endpoint_url":"{}","addressing_style":"path"}}"#,
        listener.endpoint()
    ))
    .unwrap();
    assert_refused(
        run(&policy, stored, "list_files", json!({"bucket": "b"})).await,
        "stored connection",
    );
    assert_eq!(listener.connections(), 0);
    assert_eq!(t.requests(), 0);
}

#[tokio::test]
async fn another_name_for_an_allowed_address_is_not_allowed() {
    let t = TestStore::start().await;
    let listener = CountingListener::start().await;
    // Only 127.0.0.1 on another port is allowed: localhost on the store's port is not.
    let policy = EgressPolicy::allowing([listener.endpoint()]).unwrap();
    let port = t.store.addr().port();
    for endpoint in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
        format!("https://127.0.0.1:{}", listener.port),
        format!("http://[::ffff:127.0.0.1]:{}", listener.port),
    ] {
        let connection = t.connection().with_endpoint_url(&endpoint);
        assert_refused(
            run(&policy, connection, "list_buckets", json!({})).await,
            &endpoint,
        );
    }
    assert_eq!(t.requests(), 0);
    assert_eq!(listener.connections(), 0);
}

#[tokio::test]
async fn an_allowed_endpoint_works() {
    let t = TestStore::start().await;
    let policy = EgressPolicy::allowing([t.store.endpoint()]).unwrap();
    let connection = t.connection();
    let ok = |module: &'static str, input: Value| {
        let (policy, connection) = (policy.clone(), connection.clone());
        async move {
            run(&policy, connection, module, input.clone())
                .await
                .unwrap_or_else(|err| panic!("{module} {input}: {}", err.to_json()))
        }
    };
    ok("create_bucket", json!({"bucket": "allowed"})).await;
    ok(
        "upload_file",
        json!({"bucket": "allowed", "file_name": "k.txt", "source": {"text": "hello"}}),
    )
    .await;
    let listed = ok("list_files", json!({"bucket": "allowed"})).await;
    assert_eq!(listed["files"][0]["key"], "k.txt");
    let got = ok("get_file", json!({"bucket": "allowed", "key": "k.txt"})).await;
    assert_eq!(got["content_text"], "hello");
    let raw = ok(
        "make_api_call",
        json!({"method": "GET", "url": "/allowed/k.txt"}),
    )
    .await;
    assert_eq!(raw["status"], 200, "{raw}");
}

#[tokio::test]
async fn an_allowed_name_may_lead_to_this_host() {
    // `localhost` resolves to a loopback address: allowed because the operator named it.
    let t = TestStore::start().await;
    let endpoint = format!("http://localhost:{}", t.store.addr().port());
    let policy = EgressPolicy::allowing([&endpoint]).unwrap();
    let connection = t.connection().with_endpoint_url(&endpoint);
    run(&policy, connection.clone(), "list_buckets", json!({}))
        .await
        .unwrap_or_else(|err| panic!("{}", err.to_json()));
    assert!(t.requests() > 0);
    // Allowed by its address only, the name is refused.
    let before = t.requests();
    let by_address = EgressPolicy::allowing([t.store.endpoint()]).unwrap();
    assert_refused(
        run(&by_address, connection, "list_buckets", json!({})).await,
        "localhost",
    );
    assert_eq!(t.requests(), before);
}

#[tokio::test]
async fn cloud_metadata_is_refused_before_anything_is_sent() {
    let t = TestStore::start().await;
    let policy = EgressPolicy::allowing([t.store.endpoint()]).unwrap();
    for endpoint in [
        "http://169.254.169.254",
        "http://169.254.169.254:80",
        "http://[fd00:ec2::254]",
        "http://[::ffff:169.254.169.254]",
        "http://[fe80::1]:9000",
    ] {
        let connection = t.connection().with_endpoint_url(endpoint);
        // Only the context is made: were it allowed, nothing would be sent either.
        let err = Context::with_egress_policy(connection, policy.clone())
            .err()
            .unwrap_or_else(|| panic!("{endpoint} was allowed"));
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{endpoint}");
        assert_eq!(err.field(), Some("connection.endpoint_url"));
    }
    // Named exactly by the operator, it is allowed (the context is made; nothing is sent).
    let named = EgressPolicy::allowing(["http://169.254.169.254"]).unwrap();
    let connection = t.connection().with_endpoint_url("http://169.254.169.254");
    assert!(Context::with_egress_policy(connection, named).is_ok());
}

#[tokio::test]
async fn a_role_is_not_assumed_through_an_endpoint_that_is_not_allowed() {
    let t = TestStore::start().await;
    let listener = CountingListener::start().await;
    let policy = EgressPolicy::allowing([t.store.endpoint()]).unwrap();
    // On a custom endpoint STS is the endpoint itself.
    let role = t
        .connection()
        .with_endpoint_url(listener.endpoint())
        .with_role("arn:aws:iam::123456789012:role/reader");
    for (module, input) in [
        ("list_buckets", json!({})),
        (
            "assume_role",
            json!({"role_arn": "arn:aws:iam::123456789012:role/other", "role_session_name": "s"}),
        ),
    ] {
        assert_refused(run(&policy, role.clone(), module, input).await, module);
    }
    assert_eq!(listener.connections(), 0);
}

#[tokio::test]
async fn each_request_is_checked_before_it_is_sent() {
    // A URL built for a request can differ from the connection's endpoint (region redirects,
    // STS, a bucket in the host name). Here a "bucket" given straight to the client, which
    // module inputs would refuse, turns the virtual-hosted URL into one for another address:
    // `http://127.0.0.1:PORT/.localhost:STORE/`.
    let t = TestStore::start().await;
    let listener = CountingListener::start().await;
    let endpoint = format!("http://localhost:{}", t.store.addr().port());
    let policy = EgressPolicy::allowing([&endpoint]).unwrap();
    let client = S3Client::with_options(
        t.connection()
            .with_endpoint_url(&endpoint)
            .with_addressing_style(connector_core::AddressingStyle::Virtual),
        ClientOptions {
            egress: policy,
            max_attempts: 1,
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let err = client
        .request(
            Method::GET,
            Target::bucket(format!("127.0.0.1:{}/", listener.port)),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{}", err.message());
    assert_eq!(listener.connections(), 0);
}
