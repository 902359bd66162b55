//! The SigV4 canonical request and string to sign of a request that was signed, rebuilt from
//! what goes on the wire. Signing itself is done by `aws-sigv4`; this copy exists to explain a
//! `SignatureDoesNotMatch`, by setting it beside what S3 says it computed. A test checks that it
//! reproduces `aws-sigv4`'s signatures exactly.

use crate::wire::encode::encode_query;
use crate::wire::prepared::PreparedRequest;
use crate::wire::signer::sha256_hex;
use reqwest::Url;

/// The canonical request of a header-signed request, or `None` if it carries no SigV4
/// `Authorization` header.
pub fn canonical_request(request: &PreparedRequest) -> Option<String> {
    let authorization = request.header("authorization")?;
    let signed_headers = authorization
        .split("SignedHeaders=")
        .nth(1)?
        .split(',')
        .next()?
        .trim();
    let path = request.url.path();
    // The url crate reads a literal `+` as a space; our queries never hold one (a `+` is
    // always sent as `%2B`).
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(name, value)| (encode_query(&name), encode_query(&value)))
        .collect();
    pairs.sort();
    let canonical_query: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();

    let mut lines = vec![
        request.method.as_str().to_owned(),
        path.to_owned(),
        canonical_query.join("&"),
    ];
    for name in signed_headers.split(';') {
        let value = if name == "host" {
            host_of(&request.url)?
        } else {
            let values: Vec<String> = request
                .headers
                .get_all(name)
                .iter()
                .map(|v| {
                    let v = String::from_utf8_lossy(v.as_bytes());
                    v.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect();
            values.join(",")
        };
        lines.push(format!("{name}:{value}"));
    }
    lines.push(String::new());
    lines.push(signed_headers.to_owned());
    lines.push(request.header("x-amz-content-sha256")?.to_owned());
    Some(lines.join("\n"))
}

/// The string to sign for `canonical_request`, with this request's date and scope.
pub fn string_to_sign(request: &PreparedRequest, canonical_request: &str) -> Option<String> {
    let date = request.header("x-amz-date")?;
    Some(format!(
        "AWS4-HMAC-SHA256\n{date}\n{}/{}/{}/aws4_request\n{}",
        date.get(..8)?,
        request.region,
        request.service,
        sha256_hex(canonical_request.as_bytes())
    ))
}

/// The host header a client sends: the host, and the port when it is not the scheme's default.
fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::body::Body;
    use crate::wire::credentials::Credentials;
    use crate::wire::signer::{SignRequest, Signer};
    use std::time::{Duration, UNIX_EPOCH};

    /// For every botocore vector: sign with aws-sigv4, rebuild the canonical request from the
    /// wire form, and check it is botocore's and that it yields aws-sigv4's signature.
    #[test]
    fn rebuilds_what_was_signed() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/golden/sigv4_boto3.json"
        );
        let golden: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let time = UNIX_EPOCH + Duration::from_secs(1_768_480_496); // 2026-01-15T12:34:56Z
        for case in golden["cases"].as_array().unwrap() {
            let s = |f: &str| case[f].as_str().unwrap().to_owned();
            let headers: Vec<(String, String)> = case["headers_in"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                .collect();
            let body = Body::from_bytes(s("body_utf8"));
            let credentials = Credentials::new(
                s("access_key_id"),
                s("secret_access_key"),
                case["session_token"].as_str().map(str::to_owned),
            );
            let signer = Signer::s3(s("region"));
            let signed = signer
                .sign(
                    &SignRequest {
                        method: &s("method"),
                        url: &s("url"),
                        headers: &headers,
                        payload_sha256: body.sha256_hex(),
                    },
                    &credentials,
                    time,
                )
                .unwrap();
            let all = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.clone()))
                .chain(signed)
                .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
                .collect();
            let request = PreparedRequest {
                method: s("method").parse().unwrap(),
                url: Url::parse(&s("url")).unwrap(),
                headers: all,
                body,
                region: s("region"),
                service: "s3",
                payload: Default::default(),
            };
            let creq = canonical_request(&request).unwrap();
            assert_eq!(creq, s("canonical_request"), "{}", s("name"));
            let sts = string_to_sign(&request, &creq).unwrap();
            assert_eq!(sts, s("string_to_sign"), "{}", s("name"));
            let key = signer.signing_key(&credentials, time);
            let signature = aws_sigv4::sign::v4::calculate_signature(key, sts.as_bytes());
            assert!(
                request
                    .header("authorization")
                    .unwrap()
                    .ends_with(&signature)
            );
        }
    }

    #[test]
    fn hosts_drop_default_ports() {
        let host = |url: &str| host_of(&Url::parse(url).unwrap()).unwrap();
        assert_eq!(
            host("https://b.s3.amazonaws.com:443/x"),
            "b.s3.amazonaws.com"
        );
        assert_eq!(host("http://127.0.0.1:9000/x"), "127.0.0.1:9000");
    }
}
