//! A connection's checksum policy on the wire (issue 11, step 7), recorded by the fault proxy
//! in front of s3s-fs: with `when_required` no upload sends a flexible checksum; a connection
//! to an unnamed store whose first checksummed PUT is refused the way Backblaze B2 refuses it
//! (`400 InvalidArgument` "Unsupported header 'x-amz-checksum-crc32c'") sends that PUT again
//! without it, and later uploads go without it directly; a connection that chose its policy or
//! names its provider is never downgraded.

use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::wire::payload::BodySource;
use connector_core::wire::request::PayloadChecksum;
use connector_core::{Body, Connection, Context, ErrorKind, Registry, S3Client, Target};
use integration_tests::TestStore;
use integration_tests::fault_proxy::{Fault, FaultProxy, Match, Seen};
use reqwest::Method;
use serde_json::json;

const BUCKET: &str = "policy";

/// B2's words for a flexible checksum it does not take.
const B2_REFUSAL: &str = "Unsupported header 'x-amz-checksum-crc32c' received for this API call.";

/// The headers that carry or announce a flexible checksum (or its aws-chunked framing) that a
/// request has.
fn checksum_headers(seen: &Seen) -> Vec<String> {
    seen.headers
        .iter()
        .filter(|(name, value)| {
            name.starts_with("x-amz-checksum-")
                || name.starts_with("x-amz-sdk-")
                || name == "x-amz-trailer"
                || name == "x-amz-decoded-content-length"
                || (name == "content-encoding" && value.contains("aws-chunked"))
                || (name == "x-amz-content-sha256" && value.starts_with("STREAMING-"))
        })
        .map(|(name, value)| format!("{name}: {value}"))
        .collect()
}

/// The PUTs of `key` the proxy saw, in order.
fn puts_of(proxy: &FaultProxy, key: &str) -> Vec<Seen> {
    proxy
        .requests()
        .into_iter()
        .filter(|seen| seen.method == "PUT" && seen.path_and_query.ends_with(&format!("/{key}")))
        .collect()
}

/// s3s-fs with bucket `policy`, the fault proxy in front of it, and `connection` (the JSON of
/// the connection's own fields) pointing at the proxy.
async fn setup(connection: serde_json::Value) -> (TestStore, FaultProxy, Connection) {
    let t = TestStore::start().await;
    t.bucket(BUCKET).await;
    let proxy = FaultProxy::start(t.store.addr()).await;
    let mut value = serde_json::to_value(t.connection()).unwrap();
    value["secret_access_key"] = t.connection().secret_access_key.expose().into();
    value["endpoint_url"] = proxy.endpoint().into();
    for (name, field) in connection.as_object().unwrap() {
        value[name] = field.clone();
    }
    let connection = Connection::from_value(value).expect("a valid connection");
    (t, proxy, connection)
}

/// A temporary file of 200,000 bytes (several aws-chunked frames).
fn file() -> (tempfile::NamedTempFile, Vec<u8>) {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();
    (file, data)
}

/// PUTs the file at `path` as `key` with the checksum the client's settings choose for a
/// file (or `forced`), as an upload does.
async fn put_file(
    client: &S3Client,
    path: &std::path::Path,
    key: &str,
    forced: Option<PayloadChecksum>,
) -> connector_core::Result<connector_core::Response> {
    let body = Body::file(path).await?;
    let mut request = client
        .request(Method::PUT, Target::object(BUCKET, key))
        .body(body);
    if let Some(checksum) = forced.or_else(|| client.upload_payload(None, BodySource::File)) {
        request = request.checksum(checksum);
    }
    request.send().await
}

async fn read_back(client: &S3Client, key: &str) -> Vec<u8> {
    client
        .request(Method::GET, Target::object(BUCKET, key))
        .send()
        .await
        .unwrap()
        .bytes_capped(1 << 20, "the object")
        .await
        .unwrap()
        .to_vec()
}

/// With `when_required`, neither a file PUT nor upload_file, head_file and get_file send a
/// flexible checksum header, trailer or checksum mode; the same file PUT on a connection
/// without a policy does (so the recording sees them when they are there).
#[tokio::test]
async fn when_required_sends_no_flexible_checksums() {
    let (_t, proxy, connection) = setup(json!({"checksum_policy": "when_required"})).await;
    let (file, data) = file();
    let client = S3Client::new(connection.clone()).unwrap();
    assert_eq!(client.upload_payload(None, BodySource::File), None);
    put_file(&client, file.path(), "file.bin", None)
        .await
        .unwrap();
    assert!(read_back(&client, "file.bin").await == data);
    let ctx = Context::new(connection).unwrap();
    let registry = Registry::global();
    registry
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": BUCKET, "file_name": "module.txt", "source": {"text": "hello"}}),
        )
        .await
        .unwrap();
    registry
        .invoke(
            &ctx,
            "head_file",
            json!({"bucket": BUCKET, "key": "module.txt"}),
        )
        .await
        .unwrap();
    registry
        .invoke(
            &ctx,
            "get_file",
            json!({"bucket": BUCKET, "key": "module.txt"}),
        )
        .await
        .unwrap();
    let seen = proxy.requests();
    assert!(seen.iter().any(|seen| seen.method == "HEAD"), "{seen:?}");
    for seen in &seen {
        assert_eq!(
            checksum_headers(seen),
            Vec::<String>::new(),
            "{} {}",
            seen.method,
            seen.path_and_query
        );
    }
    assert!(
        puts_of(&proxy, "file.bin")[0]
            .header("content-md5")
            .is_none_or(|md5| !md5.is_empty())
    );

    // The control: without a policy, the same PUT streams with a CRC32C trailer.
    let (_t, proxy, connection) = setup(json!({})).await;
    let client = S3Client::new(connection).unwrap();
    put_file(&client, file.path(), "file.bin", None)
        .await
        .unwrap();
    let put = &puts_of(&proxy, "file.bin")[0];
    assert_eq!(put.header("x-amz-trailer"), Some("x-amz-checksum-crc32c"));
}

/// What is logged on this thread while it is kept.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// Logs warnings of this thread here until the guard is dropped.
    fn keep(&self) -> tracing::subscriber::DefaultGuard {
        let log = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || log.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn count(&self, text: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(text)
            .count()
    }
}

/// A store refusing the first checksummed PUT is sent it again without the checksum (classic
/// signed SHA-256, Content-MD5), the upload succeeds, and the client remembers: the next file
/// goes classic directly, even one sent with a checksum asked for. One warning says so.
#[tokio::test]
async fn a_store_refusing_flexible_checksums_is_downgraded_once() {
    let log = Log::default();
    let _kept = log.keep();
    let (_t, proxy, connection) = setup(json!({})).await;
    proxy.inject_once(
        Match::put(),
        Fault::status_with_message(400, "InvalidArgument", B2_REFUSAL),
    );
    let (file, data) = file();
    let client = S3Client::new(connection).unwrap();
    assert!(client.upload_payload(None, BodySource::File).is_some());
    let answer = put_file(&client, file.path(), "first.bin", None)
        .await
        .expect("the upload is sent again without its checksum");
    assert_eq!(answer.sent_checksum(), None);
    assert!(read_back(&client, "first.bin").await == data);

    let puts = puts_of(&proxy, "first.bin");
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert_eq!(puts[0].status, 400);
    assert!(!checksum_headers(&puts[0]).is_empty(), "{puts:?}");
    assert_eq!(puts[1].status, 200);
    assert_eq!(checksum_headers(&puts[1]), Vec::<String>::new());
    let md5 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(md5_of(&data))
    };
    assert_eq!(puts[1].header("content-md5"), Some(md5.as_str()));

    // Remembered by the client (and its clones): no checksum is chosen any more, and one asked
    // for is not sent to this store.
    let clone = client.clone();
    assert_eq!(clone.upload_payload(None, BodySource::File), None);
    put_file(
        &clone,
        file.path(),
        "second.bin",
        Some(PayloadChecksum::Header(ChecksumAlgorithm::Crc32c)),
    )
    .await
    .unwrap();
    let puts = puts_of(&proxy, "second.bin");
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(checksum_headers(&puts[0]), Vec::<String>::new());
    assert!(read_back(&client, "second.bin").await == data);
    assert_eq!(log.count("the store refuses flexible checksums"), 1);
}

/// A connection that chose its checksum policy, or names its provider, keeps its choice: the
/// refusal is reported (with the hint to use `when_required`) and nothing is sent again.
#[tokio::test]
async fn a_chosen_policy_or_a_named_provider_is_never_downgraded() {
    for fields in [
        json!({"checksum_policy": "when_supported"}),
        json!({"provider": "minio"}),
    ] {
        let (_t, proxy, connection) = setup(fields.clone()).await;
        proxy.inject_once(
            Match::put(),
            Fault::status_with_message(400, "InvalidArgument", B2_REFUSAL),
        );
        let (file, _) = file();
        let client = S3Client::new(connection).unwrap();
        let err = put_file(&client, file.path(), "refused.bin", None)
            .await
            .expect_err("the refusal is reported");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{fields}");
        assert_eq!(err.code(), Some("InvalidArgument"));
        assert!(
            err.message().contains("checksum_policy to when_required"),
            "{}",
            err.message()
        );
        assert_eq!(puts_of(&proxy, "refused.bin").len(), 1, "{fields}");
        assert!(client.upload_payload(None, BodySource::File).is_some());
    }
}

/// The MD5 of `data`.
fn md5_of(data: &[u8]) -> [u8; 16] {
    Body::from_bytes(data.to_vec()).md5()
}
