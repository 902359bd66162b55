//! The requests operations build, checked without a client or a server: method, URL (on a
//! fixed endpoint), headers and body, as they would be signed and sent.

use crate::ops::delete_objects::{ObjectId, delete_objects_request};
use crate::ops::listing::{ListRequest, list_objects_v2_request};
use crate::ops::upload::{PutTarget, put_object_request, upload_part_request};
use crate::wire::body::Body;
use crate::wire::endpoint::Endpoint;
use crate::wire::request::Request;
use http::Method;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

fn url(request: &Request) -> String {
    request.url(&Endpoint::aws("eu-west-1")).unwrap().into()
}

fn body_text(request: &Request) -> String {
    let bytes = request.body_ref().bytes().expect("a body in memory");
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn a_list_objects_v2_page() {
    let page = ListRequest {
        prefix: "photos/2019 ".into(),
        delimiter: Some("/".into()),
        max_keys: 5000,
        continuation_token: Some("tok+/=".into()),
        start_after: None,
    };
    let request = list_objects_v2_request("my-bucket", &page);
    assert_eq!(request.method(), Method::GET);
    assert_eq!(
        url(&request),
        "https://my-bucket.s3.eu-west-1.amazonaws.com/?list-type=2&encoding-type=url\
         &max-keys=1000&prefix=photos%2F2019%20&delimiter=%2F&continuation-token=tok%2B%2F%3D"
    );
    assert!(request.header_map().is_empty());
    assert!(request.body_ref().is_empty());
    assert!(request.invalid_header().is_none());
}

#[test]
fn a_put_object_with_headers_and_content_md5() {
    let target = PutTarget {
        bucket: "b.with.dots".into(),
        key: "a b/c+d é.txt".into(),
        headers: HeaderMap::from_iter([
            (CONTENT_TYPE, HeaderValue::from_static("text/plain")),
            (
                HeaderName::from_static("x-amz-meta-author"),
                HeaderValue::from_static("me"),
            ),
        ]),
    };
    let request = put_object_request(&target, Body::from_bytes("hello"));
    assert_eq!(request.method(), Method::PUT);
    // A bucket with dots is addressed path-style (a TLS wildcard does not cover it).
    assert_eq!(
        url(&request),
        "https://s3.eu-west-1.amazonaws.com/b.with.dots/a%20b/c%2Bd%20%C3%A9.txt"
    );
    assert_eq!(request.header_value("content-type"), Some("text/plain"));
    assert_eq!(request.header_value("x-amz-meta-author"), Some("me"));
    assert_eq!(
        request.header_value("content-md5"),
        Some("XUFAKrxLKna5cZ2REBfFkg==")
    );
    assert_eq!(body_text(&request), "hello");
}

#[test]
fn a_delete_objects_body() {
    let objects = [
        ObjectId {
            key: "a&b <c>.txt".into(),
            version_id: None,
        },
        ObjectId {
            key: "d".into(),
            version_id: Some("v1".into()),
        },
    ];
    let request = delete_objects_request("bucket", &objects).unwrap();
    assert_eq!(request.method(), Method::POST);
    assert_eq!(
        url(&request),
        "https://bucket.s3.eu-west-1.amazonaws.com/?delete"
    );
    assert_eq!(
        request.header_value("content-type"),
        Some("application/xml")
    );
    let body = body_text(&request);
    assert!(body.contains("<Quiet>true</Quiet>"), "{body}");
    assert!(
        body.contains("<Object><Key>a&amp;b &lt;c&gt;.txt</Key></Object>"),
        "{body}"
    );
    assert!(
        body.contains("<Object><Key>d</Key><VersionId>v1</VersionId></Object>"),
        "{body}"
    );
    assert_eq!(
        request.header_value("content-md5"),
        Some(Body::from_bytes(body).content_md5().as_str())
    );
}

#[test]
fn an_upload_part() {
    let target = PutTarget {
        bucket: "bucket".into(),
        key: "big/file.bin".into(),
        headers: HeaderMap::new(),
    };
    let sse_c = HeaderMap::from_iter([(
        HeaderName::from_static("x-amz-server-side-encryption-customer-algorithm"),
        HeaderValue::from_static("AES256"),
    )]);
    let request = upload_part_request(
        &target,
        "up/id+1",
        3,
        sse_c,
        Body::from_bytes(vec![7u8; 1024]),
    );
    assert_eq!(request.method(), Method::PUT);
    assert_eq!(
        url(&request),
        "https://bucket.s3.eu-west-1.amazonaws.com/big/file.bin?partNumber=3&uploadId=up%2Fid%2B1"
    );
    assert_eq!(
        request.header_value("x-amz-server-side-encryption-customer-algorithm"),
        Some("AES256")
    );
    assert_eq!(
        request.header_value("content-md5"),
        Some(Body::from_bytes(vec![7u8; 1024]).content_md5().as_str())
    );
    assert_eq!(request.body_ref().len(), 1024);
}
