//! The requests operations build, checked without a client or a server: method, URL (on a
//! fixed endpoint), headers and body, as they would be signed and sent.

use crate::ops::delete_objects::{ObjectId, delete_objects_request};
use crate::ops::listing::{ListRequest, list_objects_v2_request};
use crate::ops::upload::{
    PutTarget, StoredPart, complete_multipart_upload_request, complete_multipart_upload_xml,
    create_multipart_upload_request, object_checksum, put_object_request, upload_part_request,
};
use crate::wire::body::Body;
use crate::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use crate::wire::chunked::ChunkedMode;
use crate::wire::endpoint::Endpoint;
use crate::wire::request::{PayloadChecksum, Request};
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
        checksum_algorithm: None,
    };
    let request = put_object_request(&target, Body::from_bytes("hello"), None);
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
    assert_eq!(request.payload_checksum(), None);
}

/// The checksum headers a request must not carry without a flexible checksum (the
/// `when_required` policy sends exactly what it always did).
const CHECKSUM_HEADERS: [&str; 8] = [
    "x-amz-checksum-algorithm",
    "x-amz-checksum-type",
    "x-amz-mp-object-size",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha256",
];

fn has_none_of_the_checksum_headers(request: &Request) {
    for name in CHECKSUM_HEADERS {
        assert_eq!(request.header_value(name), None, "{name}");
    }
}

/// A body sent with a flexible checksum (a header one for bytes, aws-chunked for a file) has
/// no Content-MD5: the checksum guards it, and no MD5 of it is computed.
#[test]
fn a_put_object_or_part_with_a_checksum_has_no_content_md5() {
    let target = PutTarget {
        bucket: "b".into(),
        key: "k".into(),
        headers: HeaderMap::from_iter([(CONTENT_TYPE, HeaderValue::from_static("text/plain"))]),
        checksum_algorithm: Some(ChecksumAlgorithm::Sha1),
    };
    let header = PayloadChecksum::Header(ChecksumAlgorithm::Crc32c);
    let request = put_object_request(&target, Body::from_bytes("hello"), Some(header));
    assert_eq!(request.payload_checksum(), Some(header));
    assert_eq!(request.header_value("content-md5"), None);
    assert_eq!(request.header_value("content-type"), Some("text/plain"));
    let body = Body::from_bytes(vec![1u8; 100]);
    let chunked = PayloadChecksum::chunked(
        ChecksumAlgorithm::Crc64Nvme,
        ChunkedMode::UnsignedWithTrailer,
    );
    let request = upload_part_request(&target, "id", 2, HeaderMap::new(), body, Some(chunked));
    assert_eq!(request.payload_checksum(), Some(chunked));
    assert_eq!(request.header_value("content-md5"), None);
    assert!(!request.body_ref().digests_known(), "the part was hashed");
    // The checksum headers themselves are added when the request is signed.
    has_none_of_the_checksum_headers(&request);
}

fn stored(
    number: u32,
    etag: &str,
    content: &[u8],
    algorithm: Option<ChecksumAlgorithm>,
) -> StoredPart {
    StoredPart {
        number,
        etag: etag.into(),
        size: content.len() as u64,
        checksum: algorithm.map(|algorithm| algorithm.digest(content)),
    }
}

/// CreateMultipartUpload names the object's checksum algorithm and type, beside the target's
/// creation headers (not its completion ones); without a checksum it has neither.
#[test]
fn a_create_multipart_upload_names_the_checksum() {
    let target = PutTarget {
        bucket: "b".into(),
        key: "big.bin".into(),
        headers: HeaderMap::from_iter([
            (CONTENT_TYPE, HeaderValue::from_static("application/zip")),
            (http::header::IF_NONE_MATCH, HeaderValue::from_static("*")),
        ]),
        checksum_algorithm: None,
    };
    for (algorithm, kind, name, type_name) in [
        (
            ChecksumAlgorithm::Crc32c,
            ChecksumType::Composite,
            "CRC32C",
            "COMPOSITE",
        ),
        (
            ChecksumAlgorithm::Crc32c,
            ChecksumType::FullObject,
            "CRC32C",
            "FULL_OBJECT",
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            ChecksumType::FullObject,
            "CRC64NVME",
            "FULL_OBJECT",
        ),
        (
            ChecksumAlgorithm::Sha256,
            ChecksumType::Composite,
            "SHA256",
            "COMPOSITE",
        ),
    ] {
        let request = create_multipart_upload_request(&target, Some((algorithm, kind)));
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            url(&request),
            "https://s3.eu-west-1.amazonaws.com/b/big.bin?uploads"
        );
        assert_eq!(request.header_value("x-amz-checksum-algorithm"), Some(name));
        assert_eq!(request.header_value("x-amz-checksum-type"), Some(type_name));
        assert_eq!(
            request.header_value("content-type"),
            Some("application/zip")
        );
        assert_eq!(request.header_value("if-none-match"), None);
    }
    let classic = create_multipart_upload_request(&target, None);
    has_none_of_the_checksum_headers(&classic);
    assert_eq!(
        classic.header_value("content-type"),
        Some("application/zip")
    );
}

/// CompleteMultipartUpload lists each part's checksum in the element of its algorithm,
/// between the ETag and the part number; parts without one are listed as they always were.
#[test]
fn a_complete_multipart_upload_lists_the_part_checksums() {
    let a = &b"first part"[..];
    let b = &b"second"[..];
    for (algorithm, element) in [
        (ChecksumAlgorithm::Crc32, "ChecksumCRC32"),
        (ChecksumAlgorithm::Crc32c, "ChecksumCRC32C"),
        (ChecksumAlgorithm::Crc64Nvme, "ChecksumCRC64NVME"),
        (ChecksumAlgorithm::Sha1, "ChecksumSHA1"),
        (ChecksumAlgorithm::Sha256, "ChecksumSHA256"),
    ] {
        let xml = complete_multipart_upload_xml(&[
            stored(1, "\"e1\"", a, Some(algorithm)),
            stored(2, "\"e2\"", b, Some(algorithm)),
        ])
        .unwrap();
        let part = |number, etag, content: &[u8]| {
            format!(
                "<Part><ETag>\"{etag}\"</ETag><{element}>{}</{element}>\
                 <PartNumber>{number}</PartNumber></Part>",
                algorithm.digest(content).to_base64()
            )
        };
        let expected = format!("{}{}", part(1, "e1", a), part(2, "e2", b));
        assert!(xml.contains(&expected), "{algorithm}: {xml}");
    }
    let xml = complete_multipart_upload_xml(&[stored(1, "e1", a, None)]).unwrap();
    assert!(
        xml.contains("<Part><ETag>e1</ETag><PartNumber>1</PartNumber></Part>"),
        "{xml}"
    );
    assert!(!xml.contains("Checksum"), "{xml}");
}

/// A full-object checksum goes on the completion as its value (the parts' CRCs combined: the
/// CRC of the whole object), its type and the object's size; a composite one as its type and
/// size only (S3 computes the composite value); without a checksum, none of them.
#[test]
fn a_complete_multipart_upload_states_the_object_checksum() {
    let target = PutTarget {
        bucket: "b".into(),
        key: "k".into(),
        headers: HeaderMap::new(),
        checksum_algorithm: None,
    };
    let (a, b) = (vec![b'a'; 70_000], vec![b'b'; 1_234]);
    let whole = [a.as_slice(), b.as_slice()].concat();
    let size = whole.len() as u64;
    for algorithm in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
    ] {
        let parts = [
            stored(1, "e1", &a, Some(algorithm)),
            stored(2, "e2", &b, Some(algorithm)),
        ];
        let full = object_checksum(algorithm, ChecksumType::FullObject, &parts).unwrap();
        assert_eq!(full, Checksum::full_object(&algorithm.digest(&whole)));
        let request =
            complete_multipart_upload_request(&target, "up", "<x/>".into(), Some((&full, size)));
        assert_eq!(
            request.header_value(algorithm.header_name()),
            Some(algorithm.digest(&whole).to_base64().as_str())
        );
        assert_eq!(
            request.header_value("x-amz-checksum-type"),
            Some("FULL_OBJECT")
        );
        assert_eq!(request.header_value("x-amz-mp-object-size"), Some("71234"));
    }
    for algorithm in [ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Sha256] {
        let parts = [
            stored(1, "e1", &a, Some(algorithm)),
            stored(2, "e2", &b, Some(algorithm)),
        ];
        let composite = object_checksum(algorithm, ChecksumType::Composite, &parts).unwrap();
        let raw = [
            algorithm.digest(&a).as_bytes(),
            algorithm.digest(&b).as_bytes(),
        ]
        .concat();
        assert_eq!(
            composite.to_string(),
            format!("{}-2", algorithm.digest(&raw).to_base64())
        );
        let request = complete_multipart_upload_request(
            &target,
            "up",
            "<x/>".into(),
            Some((&composite, size)),
        );
        assert_eq!(request.header_value(algorithm.header_name()), None);
        assert_eq!(
            request.header_value("x-amz-checksum-type"),
            Some("COMPOSITE")
        );
        assert_eq!(request.header_value("x-amz-mp-object-size"), Some("71234"));
    }
    // SHAs do not combine; a part without a checksum makes no object checksum.
    let sha = [stored(1, "e1", &a, Some(ChecksumAlgorithm::Sha1))];
    assert_eq!(
        object_checksum(ChecksumAlgorithm::Sha1, ChecksumType::FullObject, &sha),
        None
    );
    let missing = [
        stored(1, "e1", &a, Some(ChecksumAlgorithm::Crc32)),
        stored(2, "e2", &b, None),
    ];
    assert_eq!(
        object_checksum(ChecksumAlgorithm::Crc32, ChecksumType::Composite, &missing),
        None
    );
    let classic = complete_multipart_upload_request(&target, "up", "<x/>".into(), None);
    has_none_of_the_checksum_headers(&classic);
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
        checksum_algorithm: None,
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
        None,
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
