//! Explaining `SignatureDoesNotMatch`. S3 only says the signatures differ; when it also returns
//! the canonical request and string to sign it computed (Amazon S3 does), they are compared with
//! ours line by line and the first difference is named in words: the method, the path
//! encoding, the query, one header, the payload hash, the date or scope, or else the key. A
//! body sent in signed aws-chunked chunks has a signature per chunk that S3 does not show: a
//! mismatch there is named as a possible cause.

use crate::error::Error;
use crate::wire::canonical;
use crate::wire::prepared::{Payload, PreparedRequest, is_secret_header};
use crate::wire::secret::REDACTED;

/// Adds a diagnosis to a `SignatureDoesNotMatch` error for `request`; other errors pass through.
pub fn signature_mismatch(err: Error, request: &PreparedRequest) -> Error {
    if err.code() != Some("SignatureDoesNotMatch") {
        return err;
    }
    let Some(ours) = canonical::canonical_request(request) else {
        return err;
    };
    let our_sts = canonical::string_to_sign(request, &ours);
    // S3's copy arrives with secret values redacted already; compare like with like.
    let ours = redact(&ours);
    let theirs = err.s3().and_then(|s3| s3.canonical_request.clone());
    let their_sts = err.s3().and_then(|s3| s3.string_to_sign.clone());
    let mut diagnosis = match (&theirs, &their_sts) {
        (Some(theirs), _) if normalize(theirs) != normalize(&ours) => {
            first_difference(&normalize(theirs), &normalize(&ours))
        }
        (_, Some(their_sts)) if Some(normalize(their_sts)) != our_sts.as_deref().map(normalize) => {
            "S3 computed the same canonical request but another string to sign: the date or the \
             credential scope (region, service) differs — check the connection's region and this \
             machine's clock"
                .to_owned()
        }
        (Some(_), _) | (_, Some(_)) => {
            "S3 computed the same canonical request and string to sign, so the signing key \
             differs: the secret access key is wrong (or does not belong to this access key ID)"
                .to_owned()
        }
        (None, None) => {
            "the store did not say what it computed. Usual causes: a wrong secret access key; a \
             proxy that rewrote the path, the query or a signed header; a body changed on the way. \
             What was signed is in s3.our_canonical_request"
                .to_owned()
        }
    };
    let same_request = match &theirs {
        Some(theirs) => normalize(theirs) == normalize(&ours),
        None => true,
    };
    if same_request && has_signed_chunks(request) {
        diagnosis.push_str(CHUNK_SIGNATURES);
    }
    err.with_diagnosis(diagnosis, ours, our_sts)
}

/// What a mismatch may be on a body sent in signed aws-chunked chunks.
const CHUNK_SIGNATURES: &str = ". The body was sent aws-chunked with a signature on every \
    chunk, which S3 checks after the request's own: the mismatch may be a chunk signature, \
    meaning the body changed on the way (a proxy that rewrites bodies), or a store that checks \
    chunk signatures its own way (set the connection's payload_signing to unsigned to send \
    none)";

/// Whether `request`'s body goes in signed aws-chunked frames.
fn has_signed_chunks(request: &PreparedRequest) -> bool {
    matches!(&request.payload, Payload::Chunked(chunked) if chunked.layout.mode.is_signed())
}

/// Line endings normalized (S3 may return `\r\n` or trailing whitespace).
fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_owned()
}

/// The canonical request with secret header values replaced.
pub fn redact(canonical: &str) -> String {
    canonical
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, _)) if is_secret_header(name) => format!("{name}:{REDACTED}"),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names the first line where S3's canonical request differs from ours.
fn first_difference(theirs: &str, ours: &str) -> String {
    let their_lines: Vec<&str> = theirs.lines().collect();
    let our_lines: Vec<&str> = ours.lines().collect();
    let index = (0..their_lines.len().max(our_lines.len()))
        .find(|&i| their_lines.get(i) != our_lines.get(i))
        .unwrap_or(0);
    let theirs_at = their_lines.get(index).copied().unwrap_or("");
    let ours_at = our_lines.get(index).copied().unwrap_or("");
    let show = |line: &str| redact(line);
    let last = our_lines.len().saturating_sub(1);
    match index {
        0 => format!(
            "the HTTP method differs: S3 saw {theirs_at}, we signed {ours_at} (something changed the method on the way)"
        ),
        1 => format!(
            "the path differs: S3 read {theirs_at}, we signed {ours_at} — something between here and S3 re-encoded or normalized the key in the URL"
        ),
        2 => format!(
            "the query string differs: S3 read {theirs_at:?}, we signed {ours_at:?} — a proxy or redirect changed the query"
        ),
        i if i == last => format!(
            "the payload hash differs: S3 hashed the body to {theirs_at}, we signed {ours_at} — the body was changed on the way"
        ),
        i if i + 1 == last => {
            format!("the list of signed headers differs: S3 has {theirs_at}, we signed {ours_at}")
        }
        _ => {
            let name = ours_at
                .split_once(':')
                .or_else(|| theirs_at.split_once(':'))
                .map(|(name, _)| name)
                .unwrap_or("a header");
            format!(
                "the header {name} differs: S3 saw {:?}, we signed {:?} — a proxy or load balancer changed it",
                show(theirs_at),
                show(ours_at)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "PUT\n/b/a%20b.txt\n\ncontent-type:text/plain\nhost:b.s3.amazonaws.com\nx-amz-content-sha256:abc\nx-amz-date:20260115T123456Z\nx-amz-security-token:SECRET\n\ncontent-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\nabc";

    fn changed(line: usize, to: &str) -> String {
        let mut lines: Vec<&str> = OURS.lines().collect();
        lines[line] = to;
        lines.join("\n")
    }

    #[test]
    fn names_the_first_difference() {
        let cases = [
            (0, "POST", "HTTP method"),
            (1, "/b/a+b.txt", "path"),
            (2, "x=1", "query string"),
            (3, "content-type:text/html", "header content-type"),
            (10, "def", "payload hash"),
            (9, "host;x-amz-date", "signed headers"),
        ];
        for (line, to, expected) in cases {
            let text = first_difference(&changed(line, to), OURS);
            assert!(text.contains(expected), "{line}: {text}");
        }
    }

    /// As Amazon S3 answers: its canonical request (here ours with one signed element
    /// corrupted, as a proxy would) in the error body.
    #[test]
    fn compares_with_what_s3_returns() {
        use crate::wire::body::Body;
        use crate::wire::credentials::Credentials;
        use crate::wire::signer::{SignRequest, Signer};
        let headers = vec![("content-type".to_owned(), "text/plain".to_owned())];
        let body = Body::from_bytes("x");
        let url = "https://b.s3.eu-west-1.amazonaws.com/a%20b.txt";
        let signed = Signer::s3("eu-west-1")
            .sign(
                &SignRequest {
                    method: "PUT",
                    url,
                    headers: &headers,
                    payload_sha256: body.sha256_hex(),
                },
                &Credentials::new("AKID", "secret", Some("TOKEN".into())),
                std::time::SystemTime::now(),
            )
            .unwrap();
        let all = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .chain(signed)
            .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
            .collect();
        let request = PreparedRequest {
            method: http::Method::PUT,
            url: reqwest::Url::parse(url).unwrap(),
            headers: all,
            body,
            region: "eu-west-1".into(),
            service: "s3",
            payload: Default::default(),
        };
        let ours = canonical::canonical_request(&request).unwrap();
        let answer = |canonical: &str| {
            let body = format!(
                "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message><CanonicalRequest>{}</CanonicalRequest></Error>",
                canonical.replace('&', "&amp;").replace('<', "&lt;")
            );
            crate::wire::s3_error::from_response(
                http::StatusCode::FORBIDDEN,
                &http::HeaderMap::new(),
                body.as_bytes(),
            )
        };
        let tampered = ours.replace("content-type:text/plain", "content-type:text/html");
        let err = signature_mismatch(answer(&tampered), &request);
        let diagnosis = err.s3().unwrap().diagnosis.clone().unwrap();
        assert!(
            diagnosis.contains("header content-type differs"),
            "{diagnosis}"
        );
        assert!(!err.to_json().to_string().contains("TOKEN"));

        let err = signature_mismatch(answer(&ours.replace("/a%20b.txt", "/a+b.txt")), &request);
        assert!(
            err.message().contains("the path differs"),
            "{}",
            err.message()
        );

        let err = signature_mismatch(answer(&ours), &request);
        assert!(
            err.message().contains("secret access key is wrong"),
            "{}",
            err.message()
        );
    }

    /// A mismatch on a body sent in signed aws-chunked chunks may be a chunk's signature, which
    /// S3 does not show: the diagnosis says so, and does not for a plain body.
    #[test]
    fn a_mismatch_on_signed_chunks_may_be_a_chunk_signature() {
        use crate::wire::body::Body;
        use crate::wire::checksum::ChecksumAlgorithm;
        use crate::wire::chunked::{ChunkedLayout, ChunkedMode};
        use crate::wire::prepared::{ChunkedPayload, Payload};
        let request = |payload: Payload| PreparedRequest {
            method: http::Method::PUT,
            url: reqwest::Url::parse("http://127.0.0.1:9000/b/k").unwrap(),
            headers: [
                ("host", "127.0.0.1:9000"),
                ("x-amz-date", "20260115T123456Z"),
                (
                    "x-amz-content-sha256",
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                ),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AK/20260115/us-east-1/s3/aws4_request, \
                     SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00",
                ),
            ]
            .into_iter()
            .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
            .collect(),
            body: Body::from_bytes("x"),
            region: "us-east-1".into(),
            service: "s3",
            payload,
        };
        let chunked = |mode| {
            Payload::Chunked(ChunkedPayload::new(
                ChunkedLayout {
                    mode,
                    checksum: ChecksumAlgorithm::Crc32c,
                    chunk_size: 65_536,
                    decoded_len: 1,
                },
                None,
            ))
        };
        let refused = || {
            crate::wire::s3_error::from_response(
                http::StatusCode::FORBIDDEN,
                &http::HeaderMap::new(),
                b"<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>",
            )
        };
        let diagnosis = |payload| {
            let err = signature_mismatch(refused(), &request(payload));
            err.s3().unwrap().diagnosis.clone().unwrap()
        };
        for mode in [ChunkedMode::Signed, ChunkedMode::SignedWithTrailer] {
            let text = diagnosis(chunked(mode));
            assert!(text.contains("chunk signature"), "{text}");
        }
        for payload in [Payload::Plain, chunked(ChunkedMode::UnsignedWithTrailer)] {
            let text = diagnosis(payload);
            assert!(!text.contains("chunk"), "{text}");
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let text = first_difference(&changed(7, "x-amz-security-token:OTHER"), OURS);
        assert!(
            text.contains("x-amz-security-token")
                && !text.contains("SECRET")
                && !text.contains("OTHER"),
            "{text}"
        );
        assert!(!redact(OURS).contains("SECRET"));
    }
}
