//! Bucket policies and CORS configurations, through the registry by name with JSON.
//!
//! s3s-fs implements neither, so the round trips run on moto. Moto answers like Amazon S3 where
//! it matters here: a GET of a missing policy or CORS configuration is `404 NoSuchBucketPolicy`
//! or `404 NoSuchCORSConfiguration`, a DELETE of one is `204` whether or not it exists, and a
//! missing bucket is `404 NoSuchBucket`. Moto does not check policies (it stores any text), so
//! the local checks are tested against the in-process store, where nothing may be sent.

use connector_core::{Connection, Context, ErrorKind, Registry};
use integration_tests::{Moto, TEST_ACCESS_KEY, TEST_SECRET_KEY, TestStore};
use s3_modules::put_bucket_cors::CorsRule;
use serde_json::{Value, json};

/// The rules of a Set or Get Bucket CORS output (or input), typed.
fn rules_of(value: &Value) -> Vec<CorsRule> {
    serde_json::from_value(value["rules"].clone()).unwrap()
}

/// Deletes the bucket's `config` (`policy`, `cors`) and returns what Get then says (that it
/// does not exist). Deleting again succeeds, as on S3; a bucket that does not exist is an
/// error, not "no configuration".
async fn deleted_and_gone(moto: &Moto, config: &str, bucket: &str) -> Value {
    let (delete, get) = (
        format!("delete_bucket_{config}"),
        format!("get_bucket_{config}"),
    );
    let input = json!({ "bucket": bucket });
    let deleted = moto.ok(&delete, input.clone()).await;
    assert_eq!(deleted, json!({"bucket": bucket, "deleted": true}));
    let none = moto.ok(&get, input.clone()).await;
    assert_eq!(none["exists"], false, "{none}");
    moto.ok(&delete, input).await;
    let err = moto
        .run(&get, json!({"bucket": "no-such-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{}", err.to_json());
    assert_eq!(err.code(), Some("NoSuchBucket"));
    none
}

/// Runs each `(module, input, field)`: each is refused before anything is sent, naming `field`.
async fn refused_locally(cases: &[(&str, Value, &str)]) {
    let t = TestStore::start().await;
    t.bucket("shop").await;
    let before = t.requests();
    for (module, input, field) in cases {
        let err = t.run(module, input.clone()).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "{input}: {}",
            err.to_json()
        );
        assert_eq!(err.field(), Some(*field), "{input}: {}", err.to_json());
    }
    assert_eq!(t.requests(), before, "an invalid input was sent");
}

/// Document 000's policy: one IAM user may read every file of the bucket.
fn read_only_policy(bucket: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Id": "Policy1546757468384",
        "Statement": [
            {
                "Sid": "Stmt1546757465773",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::592794580436:user/am-test-bucket-1"},
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/*")
            },
            {
                "Sid": "DenyPlainHttp",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }
        ]
    })
}

#[tokio::test]
async fn a_policy_is_set_read_back_and_deleted() {
    let Some(moto) = Moto::start() else { return };
    let bucket = "am-test-bucket-1";
    moto.ok("create_bucket", json!({"bucket": bucket})).await;
    let input = json!({"bucket": bucket});

    let none = moto.ok("get_bucket_policy", input.clone()).await;
    assert_eq!(none, json!({"bucket": bucket, "exists": false}));

    let policy = read_only_policy(bucket);
    let set = moto
        .ok(
            "put_bucket_policy",
            json!({"bucket": bucket, "policy": policy}),
        )
        .await;
    assert_eq!(set, json!({"bucket": bucket, "policy": policy}));

    let got = moto.ok("get_bucket_policy", input.clone()).await;
    assert_eq!(got["exists"], true);
    assert_eq!(got["policy"], policy);
    let text: Value = serde_json::from_str(got["policy_text"].as_str().unwrap()).unwrap();
    assert_eq!(text, policy);

    let none = deleted_and_gone(&moto, "policy", bucket).await;
    assert_eq!(none, json!({"bucket": bucket, "exists": false}));
}

#[tokio::test]
async fn templates_write_the_documents_policies() {
    let Some(moto) = Moto::start() else { return };
    let bucket = "downloads";
    moto.ok("create_bucket", json!({"bucket": bucket})).await;
    let read_back = || async {
        let got = moto
            .ok("get_bucket_policy", json!({"bucket": bucket}))
            .await;
        got["policy"].clone()
    };

    let user = "arn:aws:iam::592794580436:user/am-test-bucket-1";
    let set = moto
        .ok(
            "put_bucket_policy",
            json!({"bucket": bucket, "template": {"read_only_for_principal":
                {"principal_arn": user, "prefix": "releases/"}}}),
        )
        .await;
    let expected = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadOnlyForPrincipal",
            "Effect": "Allow",
            "Principal": {"AWS": user},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::downloads/releases/*"
        }]
    });
    assert_eq!(set["policy"], expected);
    assert_eq!(read_back().await, expected);

    // A whole account, every file.
    moto.ok(
        "put_bucket_policy",
        json!({"bucket": bucket, "template": {"read_only_for_principal":
            {"principal_arn": "123456789012"}}}),
    )
    .await;
    let policy = read_back().await;
    assert_eq!(
        policy["Statement"][0]["Principal"],
        json!({"AWS": "123456789012"})
    );
    assert_eq!(
        policy["Statement"][0]["Resource"],
        "arn:aws:s3:::downloads/*"
    );

    // Document 002's appendix. Moto has no Block Public Access, so it is accepted.
    moto.ok(
        "put_bucket_policy",
        json!({"bucket": bucket, "template": "public_read"}),
    )
    .await;
    assert_eq!(
        read_back().await,
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::downloads/*"
            }]
        })
    );
}

#[tokio::test]
async fn invalid_policies_are_refused_before_anything_is_sent() {
    let with_statement = |extra: Value| {
        let mut statement = json!({"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop/*"});
        for (name, value) in extra.as_object().unwrap() {
            match value {
                Value::Null => statement.as_object_mut().unwrap().remove(name),
                _ => statement
                    .as_object_mut()
                    .unwrap()
                    .insert(name.clone(), value.clone()),
            };
        }
        json!({"bucket": "shop", "policy": {"Version": "2012-10-17", "Statement": [statement]}})
    };
    let template =
        |fields: Value| json!({"bucket": "shop", "template": {"read_only_for_principal": fields}});
    let module = "put_bucket_policy";
    refused_locally(&[
        (
            module,
            json!({"bucket": "shop", "policy": {"Statement": []}}),
            "policy.Version",
        ),
        (
            module,
            json!({"bucket": "shop", "policy": {"Version": "2012-10-17"}}),
            "policy.Statement",
        ),
        (
            module,
            json!({"bucket": "shop", "policy": "{\"Version\": \"2012-10-17\"}"}),
            "policy",
        ),
        (
            module,
            with_statement(json!({"Effect": "allow"})),
            "policy.Statement.0.Effect",
        ),
        (
            module,
            // Neither Principal nor NotPrincipal: the statement is at fault.
            with_statement(json!({"Principal": null})),
            "policy.Statement.0",
        ),
        (
            module,
            // Neither Action nor NotAction.
            with_statement(json!({"Action": null})),
            "policy.Statement.0",
        ),
        (
            module,
            with_statement(json!({"Action": ["s3:GetObject", "iam:PassRole"]})),
            "policy.Statement.0.Action.1",
        ),
        (
            module,
            with_statement(json!({"Resource": "arn:aws:s3:::someone-elses-bucket/*"})),
            "policy.Statement.0.Resource",
        ),
        (
            module,
            with_statement(json!({"NotResource": "arn:aws:s3:::shop/private/*"})),
            "policy.Statement.0.NotResource",
        ),
        (
            module,
            with_statement(json!({"Principal": {"AWS": []}})),
            "policy.Statement.0.Principal.AWS",
        ),
        (
            module,
            json!({"bucket": "shop", "policy": read_only_policy("shop"), "template": "public_read"}),
            "template",
        ),
        (module, json!({"bucket": "shop"}), "policy"),
        (
            module,
            template(json!({"principal_arn": "am-test-bucket-1"})),
            "template.read_only_for_principal.principal_arn",
        ),
        (
            module,
            template(json!({"principal_arn": "arn:aws:iam::592794580436:group/readers"})),
            "template.read_only_for_principal.principal_arn",
        ),
        (
            module,
            template(json!({"principal_arn": "123456789012", "prefix": "a/*"})),
            "template.read_only_for_principal.prefix",
        ),
        (
            module,
            json!({"bucket": "shop", "template": "private"}),
            "template",
        ),
    ])
    .await;

    // The message says what to do.
    let t = TestStore::start().await;
    // A misspelt template field is caught by the schema; the registry names the optional
    // field (`template`) rather than the misspelt one inside it.
    let err = t
        .run(
            "put_bucket_policy",
            template(json!({"principal": "123456789012"})),
        )
        .await
        .unwrap_err();
    assert!(
        err.field().unwrap().starts_with("template"),
        "{}",
        err.to_json()
    );
    let err = t
        .run(
            "put_bucket_policy",
            with_statement(json!({"Resource": "arn:aws:s3:::other/*"})),
        )
        .await
        .unwrap_err();
    assert!(
        err.message().contains("arn:aws:s3:::shop/*"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn cors_rules_are_set_read_back_and_deleted() {
    let Some(moto) = Moto::start() else { return };
    let bucket = "uploads";
    moto.ok("create_bucket", json!({"bucket": bucket})).await;
    let input = json!({"bucket": bucket});

    let none = moto.ok("get_bucket_cors", input.clone()).await;
    assert_eq!(
        none,
        json!({"bucket": bucket, "exists": false, "rules": []})
    );

    // Documents 002 and 003 (appendix 3), with an ID and exposed headers.
    let rules = json!([
        {
            "id": "local-dev",
            "allowed_origins": ["http://127.0.0.1:8080"],
            "allowed_methods": ["GET", "PUT", "POST", "DELETE"],
            "allowed_headers": ["*"],
            "expose_headers": ["ETag", "x-amz-version-id"],
            "max_age_seconds": 3000
        },
        {
            "allowed_origins": ["https://*.example.com", "https://example.com"],
            "allowed_methods": ["GET", "PUT", "POST"],
            "allowed_headers": ["Authorization", "x-amz-meta-*"]
        },
        {"allowed_origins": ["*"], "allowed_methods": ["HEAD"]}
    ]);
    let set = moto
        .ok("put_bucket_cors", json!({"bucket": bucket, "rules": rules}))
        .await;
    assert_eq!(set["bucket"], bucket);
    let expected = rules_of(&json!({ "rules": rules }));
    assert_eq!(rules_of(&set), expected);

    let got = moto.ok("get_bucket_cors", input.clone()).await;
    assert_eq!(got["exists"], true);
    assert_eq!(rules_of(&got), expected);
    // Lists are always there in the output, even when empty.
    assert_eq!(got["rules"][2]["allowed_headers"], json!([]));
    assert!(got["rules"][2].get("id").is_none());

    // The preset replaces the rules.
    moto.ok(
        "put_bucket_cors",
        json!({"bucket": bucket, "preset": {"browser_uploads":
            {"allowed_origins": ["https://app.example.com"]}}}),
    )
    .await;
    let got = moto.ok("get_bucket_cors", input.clone()).await;
    assert_eq!(
        got["rules"],
        json!([{
            "id": "browser-uploads",
            "allowed_origins": ["https://app.example.com"],
            "allowed_methods": ["GET", "PUT", "POST", "HEAD"],
            "allowed_headers": ["*"],
            "expose_headers": ["ETag"],
            "max_age_seconds": 3000
        }])
    );

    let none = deleted_and_gone(&moto, "cors", bucket).await;
    assert_eq!(
        none,
        json!({"bucket": bucket, "exists": false, "rules": []})
    );
}

#[tokio::test]
async fn invalid_cors_rules_are_refused_before_anything_is_sent() {
    let with_rule = |extra: Value| {
        let mut rule = json!({"allowed_origins": ["https://example.com"],
            "allowed_methods": ["GET"]});
        for (name, value) in extra.as_object().unwrap() {
            rule[name] = value.clone();
        }
        json!({"bucket": "shop", "rules": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}, rule]})
    };
    let module = "put_bucket_cors";
    refused_locally(&[
        (module, json!({"bucket": "shop", "rules": []}), "rules"),
        (module, json!({"bucket": "shop"}), "rules"),
        (
            module,
            with_rule(json!({"allowed_origins": []})),
            "rules.1.allowed_origins",
        ),
        (
            module,
            with_rule(json!({"allowed_origins": ["https://example.com", "https://*.*.example.com"]})),
            "rules.1.allowed_origins.1",
        ),
        (
            module,
            with_rule(json!({"allowed_origins": ["https://example.com/"]})),
            "rules.1.allowed_origins.0",
        ),
        (
            module,
            with_rule(json!({"allowed_methods": []})),
            "rules.1.allowed_methods",
        ),
        (
            module,
            with_rule(json!({"allowed_methods": ["GET", "PATCH"]})),
            "rules.1.allowed_methods.1",
        ),
        (
            module,
            with_rule(json!({"allowed_headers": ["Content-Type, Authorization"]})),
            "rules.1.allowed_headers.0",
        ),
        (
            module,
            with_rule(json!({"expose_headers": ["ETag", "x-*-*"]})),
            "rules.1.expose_headers.1",
        ),
        (
            module,
            with_rule(json!({"max_age_seconds": -1})),
            "rules.1.max_age_seconds",
        ),
        (
            module,
            with_rule(json!({"id": ""})),
            "rules.1.id",
        ),
        (
            module,
            with_rule(json!({"allowed_origin": ["https://example.com"]})),
            "rules.1.allowed_origin",
        ),
        (
            module,
            json!({"bucket": "shop", "rules": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}],
                   "preset": {"browser_uploads": {"allowed_origins": ["*"]}}}),
            "preset",
        ),
        (
            module,
            json!({"bucket": "shop", "preset": {"browser_uploads":
                {"allowed_origins": ["https://app.example.com/upload"]}}}),
            "preset.browser_uploads.allowed_origins.0",
        ),
    ])
    .await;
}

/// What goes on the wire: `?policy` and `?cors` with a `Content-MD5` (S3 requires it for CORS).
#[tokio::test]
async fn configurations_are_sent_with_content_md5() {
    let connection =
        Connection::new(TEST_ACCESS_KEY, TEST_SECRET_KEY).with_endpoint_url("http://127.0.0.1:9");
    for (module, input, query) in [
        (
            "put_bucket_policy",
            json!({"bucket": "shop", "template": "public_read"}),
            "/shop?policy",
        ),
        (
            "put_bucket_cors",
            json!({"bucket": "shop", "rules": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}]}),
            "/shop?cors",
        ),
    ] {
        // A dry run keeps the first request it prepares: one context per module.
        let ctx = Context::dry_run(connection.clone()).unwrap();
        let output = Registry::global()
            .invoke(&ctx, module, input)
            .await
            .unwrap();
        let request = &output["request"];
        assert_eq!(request["method"], "PUT");
        assert!(
            request["url"].as_str().unwrap().ends_with(query),
            "{request}"
        );
        let md5 = request["headers"]["content-md5"].as_str().unwrap();
        assert_eq!(md5.len(), 24, "{request}");
    }
}
