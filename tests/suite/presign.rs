//! Presigned URLs and POST forms, used by a plain HTTP client that has no keys, against the
//! in-process s3s-fs server, which checks every signature.

use connector_core::ops::presign::{self, UrlRequest};
use connector_core::{Method, S3Client};
use integration_tests::TestStore;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

async fn presign_url(t: &TestStore, input: Value) -> Value {
    t.ok("presign_url", input).await
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn status_and_body(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn fetch(url: &str) -> (u16, String) {
    status_and_body(http().get(url).send().await.unwrap()).await
}

#[tokio::test]
async fn presigned_get_works_and_tampering_is_refused() {
    let t = TestStore::start().await;
    t.bucket("links").await;
    for (name, text) in [("report.txt", "the report"), ("other.txt", "another file")] {
        t.ok(
            "upload_file",
            json!({"bucket": "links", "file_name": name, "source": {"text": text}}),
        )
        .await;
    }
    let link = presign_url(
        &t,
        json!({"bucket": "links", "key": "report.txt", "expires_in": 600}),
    )
    .await;
    assert_eq!(link["method"], "GET");
    let url = link["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=600") && url.contains("X-Amz-Signature="));
    assert_eq!(fetch(url).await, (200, "the report".to_owned()));

    // A tampered signature.
    let last = url.chars().last().unwrap();
    let tampered = format!(
        "{}{}",
        &url[..url.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let (status, body) = fetch(&tampered).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");

    // Another object with the same signature.
    let (status, _) = fetch(&url.replace("report.txt", "other.txt")).await;
    assert_eq!(status, 403);

    // Signed with a wrong key.
    let mut wrong = t.connection();
    wrong.secret_access_key = connector_core::Secret::new("not-the-secret");
    let wrong_link = t
        .run_with(
            wrong,
            "presign_url",
            json!({"bucket": "links", "key": "report.txt"}),
        )
        .await
        .unwrap();
    assert_eq!(fetch(wrong_link["url"].as_str().unwrap()).await.0, 403);

    // Expired: signed two hours ago, valid for one.
    let client = S3Client::new(t.connection()).unwrap();
    let credentials = client.credentials().await.unwrap();
    let request = UrlRequest {
        method: Method::GET,
        bucket: "links".into(),
        key: "report.txt".into(),
        params: vec![],
        headers: vec![],
        expires_in: Duration::from_secs(3600),
    };
    let past = SystemTime::now() - Duration::from_secs(7200);
    let expired = presign::url_with(&client, &credentials, &request, past).unwrap();
    let (status, body) = fetch(&expired).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("AccessDenied") || body.contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn presigned_links_for_special_keys_and_download_names() {
    let t = TestStore::start().await;
    t.bucket("special").await;
    let keys = [
        "with space.txt",
        "unicode/ünïcödé/日本語/файл.txt",
        "punct/+ = : @ , ; ! ' * $ ( ) [ ] | & ~ %.txt",
        "plus+sign.txt",
        "double//slash.txt",
    ];
    for key in keys {
        let (folder, file_name) = key.rsplit_once('/').map_or(("", key), |(f, n)| (f, n));
        let folder = if key.contains('/') {
            format!("{folder}/")
        } else {
            String::new()
        };
        t.ok(
            "upload_file",
            json!({"bucket": "special", "folder": folder, "file_name": file_name, "source": {"text": key}}),
        )
        .await;
        let link = presign_url(&t, json!({"bucket": "special", "key": key})).await;
        assert_eq!(
            fetch(link["url"].as_str().unwrap()).await,
            (200, key.to_owned()),
            "{key}"
        );
    }

    let link = presign_url(
        &t,
        json!({"bucket": "special", "key": "with space.txt",
               "download_file_name": "Rapport März.txt", "response_content_type": "text/csv"}),
    )
    .await;
    let response = http()
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"Rapport M_rz.txt\"; filename*=UTF-8''Rapport%20M%C3%A4rz.txt"
    );
    assert_eq!(header("content-type"), "text/csv");
}

#[tokio::test]
async fn presigned_put_binds_its_headers() {
    let t = TestStore::start().await;
    t.bucket("uploads").await;
    let link = presign_url(
        &t,
        json!({"method": "PUT", "bucket": "uploads", "key": "in/photo.jpg", "expires_in": 300,
               "content_type": "image/jpeg", "metadata": {"owner": "user-12"},
               "headers": {"Cache-Control": "max-age=60"}}),
    )
    .await;
    let url = link["url"].as_str().unwrap();
    let headers = link["headers"].as_object().unwrap();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-amz-meta-owner"], "user-12");

    // Without the signed headers: refused.
    let response = http().put(url).body("jpeg bytes").send().await.unwrap();
    assert_eq!(response.status(), 403);

    let mut request = http().put(url).body("jpeg bytes");
    for (name, value) in headers {
        request = request.header(name, value.as_str().unwrap());
    }
    let (status, body) = status_and_body(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "uploads", "key": "in/photo.jpg"}),
        )
        .await;
    assert_eq!(got["content_text"], "jpeg bytes");
    assert_eq!(got["content_type"], "image/jpeg");
    assert_eq!(got["metadata"]["owner"], "user-12");

    // HEAD and DELETE links.
    let head = presign_url(
        &t,
        json!({"method": "HEAD", "bucket": "uploads", "key": "in/photo.jpg"}),
    )
    .await;
    let response = http()
        .head(head["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], "10");
    let delete = presign_url(
        &t,
        json!({"method": "DELETE", "bucket": "uploads", "key": "in/photo.jpg"}),
    )
    .await;
    let response = http()
        .delete(delete["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let err = t
        .run(
            "get_file",
            json!({"bucket": "uploads", "key": "in/photo.jpg"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), connector_core::ErrorKind::NotFound);
}

#[tokio::test]
async fn presign_input_is_checked() {
    let t = TestStore::start().await;
    let before = t.requests();
    for (input, field) in [
        (
            json!({"bucket": "b", "key": "k", "expires_in": 0}),
            "expires_in",
        ),
        (
            json!({"bucket": "b", "key": "k", "expires_in": 604801}),
            "expires_in",
        ),
        (
            json!({"bucket": "b", "key": "k", "content_type": "text/plain"}),
            "content_type",
        ),
        (
            json!({"method": "PUT", "bucket": "b", "key": "k", "download_file_name": "x"}),
            "download_file_name",
        ),
        (
            json!({"bucket": "b", "key": "k", "download_file_name": "a/b.txt"}),
            "download_file_name",
        ),
        (
            json!({"method": "PUT", "bucket": "b", "key": "k", "headers": {"Content-Type": "x"}}),
            "headers.Content-Type",
        ),
        (
            json!({"method": "POST", "bucket": "b", "key": "k"}),
            "method",
        ),
    ] {
        let err = t.run("presign_url", input.clone()).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{input}: {}", err.to_json());
    }
    assert_eq!(t.requests(), before);
}

/// Sends a presigned POST form with `file` as the file.
async fn post_form(form: &Value, file_name: &str, file: Vec<u8>) -> (u16, String) {
    let mut multipart = reqwest::multipart::Form::new();
    for (name, value) in form["fields"].as_object().unwrap() {
        multipart = multipart.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    let part = reqwest::multipart::Part::bytes(file).file_name(file_name.to_owned());
    multipart = multipart.part("file", part);
    let response = http()
        .post(form["url"].as_str().unwrap())
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    status_and_body(response).await
}

#[tokio::test]
async fn presigned_post_uploads_within_its_policy() {
    let t = TestStore::start().await;
    t.bucket("forms").await;
    let form = t
        .ok(
            "presign_post",
            json!({"bucket": "forms", "key_prefix": "user-12/", "expires_in": 600,
                   "content_length_range": [1, 1000], "success_action_status": "201",
                   "metadata": {"origin": "form"}}),
        )
        .await;
    assert_eq!(form["fields"]["key"], "user-12/${filename}");
    let conditions = form["policy"]["conditions"].as_array().unwrap();
    assert!(conditions.contains(&json!(["starts-with", "$key", "user-12/"])));
    assert!(conditions.contains(&json!(["content-length-range", 1, 1000])));

    // Amazon S3 puts the file's name in place of ${filename}; s3s-fs does not, so the form
    // names the key itself, as an uploader may within the prefix.
    let mut form = form;
    form["fields"]["key"] = json!("user-12/hello.txt");
    let (status, body) = post_form(&form, "hello.txt", b"hello from a form".to_vec()).await;
    assert_eq!(status, 201, "{body}");
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "forms", "key": "user-12/hello.txt"}),
        )
        .await;
    assert_eq!(got["content_text"], "hello from a form");
    assert_eq!(got["metadata"]["origin"], "form");

    // Too large for content_length_range.
    form["fields"]["key"] = json!("user-12/big.txt");
    let (status, body) = post_form(&form, "big.txt", vec![b'x'; 2000]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("EntityTooLarge"), "{body}");
    assert!(
        t.run(
            "get_file",
            json!({"bucket": "forms", "key": "user-12/big.txt"})
        )
        .await
        .is_err()
    );

    // A key outside the prefix.
    let mut outside = form.clone();
    outside["fields"]["key"] = json!("someone-else/evil.txt");
    let (status, body) = post_form(&outside, "evil.txt", b"evil".to_vec()).await;
    // Amazon S3 answers 403 AccessDenied ("Invalid according to Policy"); s3s-fs 400.
    assert!([400, 403].contains(&status), "{status} {body}");
    assert!(body.contains("olicy"), "{body}");
    assert!(
        t.run(
            "get_file",
            json!({"bucket": "forms", "key": "someone-else/evil.txt"})
        )
        .await
        .is_err()
    );

    // An exact key and content type.
    let exact = t
        .ok(
            "presign_post",
            json!({"bucket": "forms", "key": "exact/name.txt", "content_type": "text/plain"}),
        )
        .await;
    let (status, body) = post_form(&exact, "whatever.bin", b"exact".to_vec()).await;
    assert_eq!(status, 204, "{body}");
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "forms", "key": "exact/name.txt"}),
        )
        .await;
    assert_eq!(got["content_text"], "exact");
}

#[tokio::test]
async fn listings_can_carry_download_links() {
    let t = TestStore::start().await;
    t.bucket("shop").await;
    for name in ["a.pdf", "b.pdf"] {
        t.ok(
            "upload_file",
            json!({"bucket": "shop", "folder": "downloads", "file_name": name, "source": {"text": name}}),
        )
        .await;
    }
    let listing = t
        .ok(
            "list_files",
            json!({"bucket": "shop", "prefix": "downloads", "include_download_urls": true,
                   "download_urls_expire_in": 900}),
        )
        .await;
    let files = listing["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for file in files {
        let url = file["download_url"].as_str().unwrap();
        assert!(url.contains("X-Amz-Expires=900"));
        assert_eq!(
            fetch(url).await,
            (200, file["name"].as_str().unwrap().to_owned())
        );
    }
}
