//! The SigV4 canonical request and string to sign of a request that was signed, rebuilt from
//! what goes on the wire. Signing itself is done by `aws-sigv4`; this copy exists to explain a
//! `SignatureDoesNotMatch`, by setting it beside what S3 says it computed. A test checks that it
//! reproduces `aws-sigv4`'s signatures exactly.

use crate::wire::encode::{encode_query, percent_decode};
use crate::wire::prepared::PreparedRequest;
use crate::wire::signer::sha256_hex;

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
    let (path, query) = split_url(&request.url)?;

    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                encode_query(&percent_decode(name)),
                encode_query(&percent_decode(value)),
            )
        })
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
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
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

/// The path (as sent, encoded) and the raw query of a URL.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let after_scheme = url.split_once("://")?.1;
    let path_start = after_scheme.find('/')?;
    let rest = &after_scheme[path_start..];
    Some(rest.split_once('?').unwrap_or((rest, "")))
}

/// The host header a client sends: the authority without a default port.
fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let host = match (scheme, authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => authority,
    };
    Some(host.to_owned())
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
            let mut all = headers.clone();
            all.extend(signed.into_iter().map(|(n, v)| (n.to_owned(), v)));
            let request = PreparedRequest {
                method: s("method").parse().unwrap(),
                url: s("url"),
                headers: all,
                body,
                region: s("region"),
                service: "s3",
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
        assert_eq!(
            host_of("https://b.s3.amazonaws.com:443/x").unwrap(),
            "b.s3.amazonaws.com"
        );
        assert_eq!(
            host_of("http://127.0.0.1:9000/x").unwrap(),
            "127.0.0.1:9000"
        );
    }
}
