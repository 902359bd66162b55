//! Signing end to end: temporary credentials against a real STS with signature checks (moto
//! with IAM authentication on); dry runs and signature-mismatch diagnosis against s3s-fs.

use connector_core::{Connection, Context, ErrorKind, Registry};
use integration_tests::{Moto, TEST_SECRET_KEY, TamperProxy, TestStore};
use serde_json::{Value, json};

async fn run(connection: &Connection, module: &str, input: Value) -> connector_core::Result<Value> {
    let ctx = Context::new(connection.clone())?;
    Registry::global().invoke(&ctx, module, input).await
}

#[tokio::test]
async fn assumed_role_credentials_work_and_bad_tokens_are_refused() {
    let Some((moto, user)) = Moto::start_with_iam() else {
        return;
    };
    let keys = Connection::new(&user.access_key_id, &user.secret_access_key)
        .with_endpoint_url(moto.endpoint());
    run(&keys, "create_bucket", json!({"bucket": "sts-bucket"}))
        .await
        .unwrap();

    // moto checks signatures now: a wrong secret is refused.
    let mut wrong = keys.clone();
    wrong.secret_access_key = connector_core::Secret::new("wrong-secret");
    let err = run(&wrong, "list_files", json!({"bucket": "sts-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::SignatureMismatch,
        "{}",
        err.to_json()
    );

    let assumed = run(
        &keys,
        "assume_role",
        json!({"role_arn": user.role_arn, "role_session_name": "integration-test",
               "duration_seconds": 900}),
    )
    .await
    .unwrap();
    let connection_json = &assumed["connection"];
    assert!(
        connection_json["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert!(connection_json["session_token"].as_str().unwrap().len() > 10);
    assert_eq!(connection_json["expiration"], assumed["expiration"]);
    assert!(
        assumed["assumed_role_arn"]
            .as_str()
            .unwrap()
            .contains("assumed-role/connector-role/integration-test")
    );

    // The output is a connection as it is.
    let temporary = Connection::from_json(&connection_json.to_string()).unwrap();
    run(
        &temporary,
        "upload_file",
        json!({"bucket": "sts-bucket", "file_name": "from-role.txt", "source": {"text": "temporary"}}),
    )
    .await
    .unwrap();
    let got = run(
        &temporary,
        "get_file",
        json!({"bucket": "sts-bucket", "key": "from-role.txt"}),
    )
    .await
    .unwrap();
    assert_eq!(got["content_text"], "temporary");

    // Presigned links made with temporary credentials carry the token and say when it ends.
    let link = run(
        &temporary,
        "presign_url",
        json!({"bucket": "sts-bucket", "key": "from-role.txt"}),
    )
    .await
    .unwrap();
    assert!(
        link["url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Security-Token=")
    );
    assert_eq!(link["credentials_expire_at"], assumed["expiration"]);
    assert!(link["warning"].as_str().unwrap().contains("expire"));

    // A wrong token, and no token.
    let mut bad_token = temporary.clone();
    bad_token.session_token = Some(connector_core::Secret::new("not-a-real-token"));
    let err = run(&bad_token, "list_files", json!({"bucket": "sts-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{}", err.to_json());
    assert_eq!(err.code(), Some("InvalidToken"));
    let mut no_token = temporary.clone();
    no_token.session_token = None;
    let err = run(&no_token, "list_files", json!({"bucket": "sts-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{}", err.to_json());
    assert_eq!(err.code(), Some("InvalidAccessKeyId"));
    assert!(!err.to_json().to_string().contains(&user.secret_access_key));
}

#[tokio::test]
async fn a_connection_with_a_role_works_as_that_role() {
    let Some((moto, user)) = Moto::start_with_iam() else {
        return;
    };
    let role = Connection::new(&user.access_key_id, &user.secret_access_key)
        .with_endpoint_url(moto.endpoint())
        .with_role(&user.role_arn);
    let ctx = Context::new(role).unwrap();
    let credentials = ctx.client().credentials().await.unwrap();
    assert!(credentials.access_key_id().starts_with("ASIA"));
    assert!(credentials.is_temporary() && credentials.expires_at().is_some());
    // The same credentials are reused until they near expiry.
    let again = ctx.client().credentials().await.unwrap();
    assert_eq!(again.access_key_id(), credentials.access_key_id());

    let registry = Registry::global();
    registry
        .invoke(&ctx, "create_bucket", json!({"bucket": "role-bucket"}))
        .await
        .unwrap();
    registry
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": "role-bucket", "file_name": "x.txt", "source": {"text": "as role"}}),
        )
        .await
        .unwrap();
    let listing = registry
        .invoke(&ctx, "list_files", json!({"bucket": "role-bucket"}))
        .await
        .unwrap();
    assert_eq!(listing["files"][0]["key"], "x.txt");

    // A role the user may not assume: a clear error naming the role.
    let bad = Connection::new(&user.access_key_id, "wrong-secret")
        .with_endpoint_url(moto.endpoint())
        .with_role(&user.role_arn);
    let err = run(&bad, "list_files", json!({"bucket": "role-bucket"}))
        .await
        .unwrap_err();
    assert!(err.message().contains(&user.role_arn), "{}", err.to_json());
}

#[tokio::test]
async fn a_dry_run_sends_nothing_and_shows_the_signed_request() {
    let t = TestStore::start().await;
    t.bucket("dry").await;
    let before = t.requests();
    let connection = t.connection().with_session_token("session-token-secret");
    let ctx = Context::dry_run(connection).unwrap();
    let output = Registry::global()
        .invoke(
            &ctx,
            "upload_file",
            json!({"bucket": "dry", "folder": "a b", "file_name": "c.txt", "source": {"text": "hi"}}),
        )
        .await
        .unwrap();
    assert_eq!(t.requests(), before, "a dry run sent a request");
    assert_eq!(output["dry_run"], true);
    let request = &output["request"];
    assert_eq!(request["method"], "PUT");
    assert!(
        request["url"]
            .as_str()
            .unwrap()
            .ends_with("/dry/a%20b/c.txt")
    );
    let authorization = request["headers"]["authorization"].as_str().unwrap();
    assert!(authorization.contains("Signature=") && authorization.contains("x-amz-security-token"));
    assert_eq!(request["headers"]["x-amz-security-token"], "<redacted>");
    let text = output.to_string();
    assert!(!text.contains("session-token-secret") && !text.contains(TEST_SECRET_KEY));
    assert!(request["curl"].as_str().unwrap().starts_with("curl -X PUT"));

    // Invalid input is still refused first.
    let err = Registry::global()
        .invoke(&ctx, "get_file", json!({"bucket": "dry", "key": ""}))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("key"));
}

/// A proxy that changes one signed header on the way: S3 refuses the signature, and the error
/// says what was signed and what usually causes this.
#[tokio::test]
async fn a_request_changed_on_the_way_is_diagnosed() {
    let t = TestStore::start().await;
    t.bucket("tampered").await;
    let proxy = TamperProxy::start(
        t.store.addr(),
        "content-type: text/plain; charset=utf-8",
        "content-type: text/html; charset=utf-8",
    )
    .await;
    let via_proxy = t.connection().with_endpoint_url(proxy.endpoint());
    let err = t
        .run_with(
            via_proxy.clone(),
            "upload_file",
            json!({"bucket": "tampered", "file_name": "page.txt", "source": {"text": "x"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::SignatureMismatch,
        "{}",
        err.to_json()
    );
    let s3 = err.s3().unwrap();
    let ours = s3.our_canonical_request.as_deref().unwrap();
    assert!(ours.starts_with("PUT\n/tampered/page.txt\n"), "{ours}");
    assert!(
        ours.contains("content-type:text/plain; charset=utf-8"),
        "{ours}"
    );
    assert!(
        s3.our_string_to_sign
            .as_deref()
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256\n")
    );
    let diagnosis = s3.diagnosis.as_deref().unwrap();
    assert!(
        diagnosis.contains("proxy") && diagnosis.contains("secret"),
        "{diagnosis}"
    );
    assert!(err.message().contains("Diagnosis:"));
    // Requests the proxy leaves alone still work through it.
    t.run_with(via_proxy, "list_files", json!({"bucket": "tampered"}))
        .await
        .unwrap();
}

/// A machine clock an hour off: S3 refuses the request's time, the client takes the server's
/// time from the answer's `Date`, corrects its signing clock, and the request succeeds.
#[tokio::test]
async fn a_skewed_clock_is_corrected() {
    let t = TestStore::start().await;
    t.bucket("clock").await;
    let ctx = Context::new(t.connection()).unwrap();
    ctx.client().set_clock_skew(-3_600_000);
    let before = t.requests();
    let listing = Registry::global()
        .invoke(&ctx, "list_files", json!({"bucket": "clock"}))
        .await
        .unwrap();
    assert_eq!(listing["files"], json!([]));
    assert_eq!(t.requests() - before, 2, "one refused, one corrected");
    let corrected = ctx.client().signing_time();
    let now = std::time::SystemTime::now();
    let off = corrected
        .duration_since(now)
        .unwrap_or_else(|e| e.duration());
    assert!(off < std::time::Duration::from_secs(5), "still {off:?} off");
}
