//! Faults on the way: a fault-injecting proxy on 127.0.0.1 between the connector and a real
//! server answers 503/500, drops connections in the middle of bodies, stalls, truncates or flips
//! bytes. Transient faults are retried with byte-exact results; persistent ones give a clear
//! error; no partial file is ever left; a damaged upload never succeeds; a failed multipart
//! upload leaves no incomplete upload behind.

use connector_core::wire::client::ClientOptions;
use connector_core::wire::payload::ChecksumPolicy;
use connector_core::{Context, ErrorKind, Registry, S3Client};
use integration_tests::fault_proxy::{Fault, FaultProxy, FaultRule, Match};
use integration_tests::{Moto, TestStore};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const MIB: usize = 1024 * 1024;

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn small_parts() -> Value {
    json!({"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 2})
}

/// A server behind a fault proxy, and a context that goes through the proxy.
struct Faulty {
    t: TestStore,
    proxy: FaultProxy,
    ctx: Context,
}

impl Faulty {
    async fn start() -> Faulty {
        Self::with_options(ClientOptions::default()).await
    }

    async fn with_options(options: ClientOptions) -> Faulty {
        let t = TestStore::start().await;
        let proxy = FaultProxy::start(t.store.addr()).await;
        let connection = t.connection().with_endpoint_url(proxy.endpoint());
        let ctx = Context::from_client(S3Client::with_options(connection, options).unwrap());
        Faulty { t, proxy, ctx }
    }

    async fn run(&self, module: &str, input: Value) -> connector_core::Result<Value> {
        Registry::global().invoke(&self.ctx, module, input).await
    }

    /// Uploads `bytes` directly (not through the proxy).
    async fn put(&self, bucket: &str, key: &str, bytes: &[u8], dir: &Path) {
        let source = dir.join("source");
        std::fs::write(&source, bytes).unwrap();
        self.t
            .ok(
                "upload_file",
                json!({"bucket": bucket, "file_name": key, "source": {"path": source}}),
            )
            .await;
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let f = Faulty::start().await;
    f.t.bucket("retry").await;
    f.proxy.inject_once(Match::put(), Fault::slow_down());
    f.proxy.inject_once(Match::put(), Fault::internal_error());
    let up = f
        .run(
            "upload_file",
            json!({"bucket": "retry", "file_name": "a.txt", "source": {"text": "survives"}}),
        )
        .await
        .unwrap();
    assert_eq!(up["size"], 8);
    assert_eq!(f.proxy.count(&Match::put()), 3);
    let got =
        f.t.ok("get_file", json!({"bucket": "retry", "key": "a.txt"}))
            .await;
    assert_eq!(got["content_text"], "survives");

    // Persistent: a clear error after 3 attempts, retryable, and no file.
    f.proxy
        .inject(FaultRule::new(Match::get(), Fault::internal_error()).times(10));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("a.txt");
    let err = f
        .run(
            "get_file",
            json!({"bucket": "retry", "key": "a.txt", "save_to": dest}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert_eq!(err.code(), Some("InternalError"));
    assert!(err.is_retryable());
    assert_eq!(f.proxy.count(&Match::get()), 3);
    assert!(entries(dir.path()).is_empty());
}

#[tokio::test]
async fn downloads_that_break_off_resume_where_they_stopped() {
    let f = Faulty::start().await;
    f.t.bucket("resume").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(12 * MIB + 5);
    f.put("resume", "big.bin", &bytes, dir.path()).await;

    // The first range breaks after 1 MiB, a later one after 100 KiB: both resume.
    f.proxy.inject_once(
        Match::get(),
        Fault::DropResponse {
            after_bytes: MIB as u64,
        },
    );
    f.proxy.inject(
        FaultRule::new(
            Match::get(),
            Fault::DropResponse {
                after_bytes: 100_000,
            },
        )
        .times(1),
    );
    let dest = dir.path().join("out/big.bin");
    let got = f
        .run(
            "get_file",
            json!({"bucket": "resume", "key": "big.bin", "save_to": dest, "transfer": small_parts()}),
        )
        .await
        .unwrap();
    assert_eq!(got["size"], bytes.len());
    assert!(
        std::fs::read(&dest).unwrap() == bytes,
        "the resumed download differs"
    );
    assert_eq!(entries(dest.parent().unwrap()), ["big.bin"]);
    // 3 ranges, 2 resumed.
    assert_eq!(f.proxy.count(&Match::get()), 5);

    // Small files resume too.
    f.put("resume", "small.txt", b"0123456789abcdef", dir.path())
        .await;
    f.proxy.inject_once(
        Match::get().path("small.txt"),
        Fault::DropResponse { after_bytes: 4 },
    );
    let dest = dir.path().join("small.txt");
    f.run(
        "get_file",
        json!({"bucket": "resume", "key": "small.txt", "save_to": dest}),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"0123456789abcdef");
}

#[tokio::test]
async fn a_download_that_keeps_failing_leaves_nothing() {
    let f = Faulty::start().await;
    f.t.bucket("broken").await;
    let dir = tempfile::tempdir().unwrap();
    f.put("broken", "doc.bin", &data(3 * MIB), dir.path()).await;
    std::fs::remove_file(dir.path().join("source")).unwrap();
    let dest = dir.path().join("doc.bin");
    std::fs::write(&dest, b"the previous version").unwrap();

    f.proxy
        .inject(FaultRule::new(Match::get(), Fault::DropResponse { after_bytes: 1000 }).times(100));
    let err = f
        .run(
            "get_file",
            json!({"bucket": "broken", "key": "doc.bin", "save_to": dest}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{}", err.to_json());
    assert!(
        err.message().contains("nothing was saved"),
        "{}",
        err.message()
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"the previous version");
    assert_eq!(entries(dir.path()), ["doc.bin"]);

    // Inline content is refused the same way: never a short result.
    let err = f
        .run("get_file", json!({"bucket": "broken", "key": "doc.bin"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{}", err.to_json());
}

#[tokio::test]
async fn damaged_bytes_are_caught_both_ways() {
    let f = Faulty::start().await;
    f.t.bucket("damage").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(2 * MIB);
    f.put("damage", "plain.bin", &bytes, dir.path()).await;

    // A byte flipped in a download: the object's stored checksum (CRC32C, sent with the upload)
    // catches it.
    f.proxy
        .inject_once(Match::get(), Fault::FlipResponseByte { at: 1_000_000 });
    let dest = dir.path().join("plain.copy");
    let err = f
        .run(
            "get_file",
            json!({"bucket": "damage", "key": "plain.bin", "save_to": dest}),
        )
        .await
        .unwrap_err();
    assert!(
        err.message().contains("CRC32C checksum"),
        "{}",
        err.to_json()
    );
    assert!(err.is_retryable(), "{}", err.to_json());
    assert!(!dest.exists());

    // An object stored without a checksum (uploaded the when_required way): the MD5 (the ETag
    // of a single-part object) catches it.
    let mut plain = f.t.connection();
    plain.checksum_policy = Some(ChecksumPolicy::WhenRequired);
    let source = dir.path().join("md5-source");
    std::fs::write(&source, &bytes).unwrap();
    let up = Registry::global()
        .invoke(
            &Context::new(plain).unwrap(),
            "upload_file",
            json!({"bucket": "damage", "file_name": "md5.bin", "source": {"path": source}}),
        )
        .await
        .unwrap();
    assert!(up.get("checksum").is_none_or(Value::is_null), "{up}");
    f.proxy
        .inject_once(Match::get(), Fault::FlipResponseByte { at: 1_000_000 });
    let err = f
        .run(
            "get_file",
            json!({"bucket": "damage", "key": "md5.bin", "save_to": dest}),
        )
        .await
        .unwrap_err();
    assert!(err.message().contains("MD5"), "{}", err.to_json());
    assert!(!dest.exists());

    // A byte flipped in an upload: the store refuses it (the signed SHA-256 and the
    // Content-MD5 no longer match), and the upload never reports success.
    f.proxy
        .inject(FaultRule::new(Match::put(), Fault::FlipRequestByte { at: 10 }).times(10));
    let err = f
        .run(
            "upload_file",
            json!({"bucket": "damage", "file_name": "up.txt", "source": {"text": "some text to damage"}}),
        )
        .await
        .unwrap_err();
    assert!(err.status().is_some_and(|s| s >= 400), "{}", err.to_json());
    assert!(
        f.t.run("get_file", json!({"bucket": "damage", "key": "up.txt"}))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_stalled_transfer_times_out_cleanly() {
    let f = Faulty::with_options(ClientOptions {
        read_timeout: Duration::from_millis(300),
        max_attempts: 1,
        ..ClientOptions::default()
    })
    .await;
    f.t.bucket("stall").await;
    let dir = tempfile::tempdir().unwrap();
    f.put("stall", "slow.bin", &data(MIB), dir.path()).await;
    // Once: the stalled range is noticed and resumed.
    f.proxy.inject_once(
        Match::get(),
        Fault::Stall {
            after_bytes: 1000,
            for_: Duration::from_secs(3),
        },
    );
    let dest = dir.path().join("slow.copy");
    f.run(
        "get_file",
        json!({"bucket": "stall", "key": "slow.bin", "save_to": dest}),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data(MIB));
    std::fs::remove_file(&dest).unwrap();

    // Always: a clean timeout, and nothing saved.
    f.proxy.inject(
        FaultRule::new(
            Match::get(),
            Fault::Stall {
                after_bytes: 1000,
                for_: Duration::from_secs(3),
            },
        )
        .times(10),
    );
    let started = std::time::Instant::now();
    let err = f
        .run(
            "get_file",
            json!({"bucket": "stall", "key": "slow.bin", "save_to": dest}),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the stall was not detected"
    );
    assert!(!dest.exists());
    assert_eq!(entries(dir.path()), ["source"]);
    assert_eq!(err.kind(), ErrorKind::Timeout, "{}", err.to_json());
}

/// A multipart upload whose part keeps failing is aborted: no incomplete upload stays (moto
/// lists multipart uploads; s3s-fs does not).
#[tokio::test]
async fn a_failed_multipart_upload_is_aborted() {
    let Some(moto) = Moto::start() else { return };
    moto.ok("create_bucket", json!({"bucket": "parts"})).await;
    let addr = moto
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(addr).await;
    let ctx = Context::new(moto.connection().with_endpoint_url(proxy.endpoint())).unwrap();
    proxy.inject(
        FaultRule::new(Match::put().query("partNumber=3"), Fault::internal_error()).times(100),
    );

    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("big.bin");
    std::fs::write(&source, data(16 * MIB)).unwrap();
    let err = Registry::global()
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": "parts", "file_name": "big.bin", "source": {"path": source},
                   "transfer": small_parts()}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{}", err.to_json());
    assert!(err.message().contains("aborted"), "{}", err.message());
    assert_eq!(proxy.count(&Match::delete().query("uploadId")), 1);

    let uploads = moto
        .ok(
            "make_api_call",
            json!({"method": "GET", "url": "/parts?uploads"}),
        )
        .await;
    let result = &uploads["xml"]["ListMultipartUploadsResult"];
    assert!(
        result.get("Upload").is_none(),
        "an incomplete upload stayed: {result}"
    );
    assert!(
        moto.run("get_file", json!({"bucket": "parts", "key": "big.bin"}))
            .await
            .is_err()
    );

    // Transient part failures are retried and the upload completes.
    proxy.clear();
    proxy.inject_once(Match::put().query("partNumber=2"), Fault::slow_down());
    let up = Registry::global()
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": "parts", "file_name": "big.bin", "source": {"path": source},
                   "transfer": small_parts()}),
        )
        .await
        .unwrap();
    assert_eq!(up["parts"], 4);
    let copy = dir.path().join("copy.bin");
    moto.ok(
        "get_file",
        json!({"bucket": "parts", "key": "big.bin", "save_to": copy}),
    )
    .await;
    assert!(std::fs::read(&copy).unwrap() == std::fs::read(&source).unwrap());
}

/// An object replaced while it is being downloaded: the ranges after the first carry
/// `If-Match` with the first answer's ETag, so the change is caught and nothing is saved
/// (moto checks `If-Match` on GET; s3s-fs ignores it).
#[tokio::test]
async fn a_file_changed_mid_download_is_detected() {
    let Some(moto) = Moto::start() else { return };
    moto.ok("create_bucket", json!({"bucket": "moving"})).await;
    let dir = tempfile::tempdir().unwrap();
    let upload = |len: usize| {
        let source = dir.path().join("source");
        std::fs::write(&source, data(len)).unwrap();
        moto.ok(
            "upload_file",
            json!({"bucket": "moving", "file_name": "doc.bin", "source": {"path": source}}),
        )
    };
    upload(12 * MIB).await;
    let addr = moto
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(addr).await;
    let options = ClientOptions {
        read_timeout: Duration::from_secs(3),
        ..ClientOptions::default()
    };
    let client = S3Client::with_options(
        moto.connection().with_endpoint_url(proxy.endpoint()),
        options,
    );
    let ctx = Context::from_client(client.unwrap());
    // The second range stalls until the read timeout (3 s) and is resumed; meanwhile the
    // object is replaced.
    proxy.inject_once(
        Match::get(),
        Fault::Stall {
            after_bytes: u64::MAX,
            for_: Duration::ZERO,
        },
    );
    proxy.inject_once(
        Match::get(),
        Fault::Stall {
            after_bytes: 0,
            for_: Duration::from_secs(10),
        },
    );
    let dest = dir.path().join("doc.copy");
    let download = {
        let input = json!({"bucket": "moving", "key": "doc.bin", "save_to": dest,
                           "transfer": {"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 1}});
        tokio::spawn(async move { Registry::global().invoke(&ctx, "get_file", input).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    upload(12 * MIB + 1).await;
    let err = download.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{}", err.to_json());
    assert!(
        err.message()
            .contains("changed while it was being downloaded"),
        "{}",
        err.message()
    );
    assert!(!dest.exists());
}
