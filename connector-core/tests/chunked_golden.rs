//! The aws-chunked encoder (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) against botocore's
//! `AwsChunkedWrapper` for the same bodies, byte for byte. The vectors come from
//! `tests/golden/boto3_chunked.py` (run by hand; see its docstring).

use bytes::Bytes;
use connector_core::wire::checksum::ChecksumAlgorithm;
use connector_core::wire::chunked::{ChunkedBody, ChunkedLayout, ChunkedMode, encoded_len};
use futures_util::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/golden/chunked_boto3.json"
    );
    let text = std::fs::read_to_string(path).expect("read the golden vectors");
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field].as_str().unwrap_or_else(|| panic!("{field}"))
}

fn number(value: &Value) -> u64 {
    value.as_u64().unwrap()
}

/// The body the script generated: `pattern` is byte `(7 * i + 3) % 251` at offset `i`.
fn body(case: &Value) -> Vec<u8> {
    let len = number(&case["body"]["len"]) as usize;
    match text(&case["body"], "pattern") {
        "a" => vec![b'a'; len],
        "pattern" => (0..len).map(|i| ((7 * i + 3) % 251) as u8).collect(),
        other => panic!("unknown body pattern {other}"),
    }
}

/// Our unsigned-trailer encoding of `data`, given to the encoder in pieces of `piece` bytes
/// (as a file read in `piece`-byte reads).
fn encode(data: &[u8], piece: usize, layout: ChunkedLayout) -> (Vec<u8>, String) {
    let data = Bytes::copy_from_slice(data);
    let pieces: Vec<io::Result<Bytes>> = (0..data.len())
        .step_by(piece)
        .map(|at| Ok(data.slice(at..(at + piece).min(data.len()))))
        .collect();
    let encoder = ChunkedBody::new(futures_util::stream::iter(pieces), layout, None).unwrap();
    let sent = encoder.sent_checksum();
    let items = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(encoder.collect::<Vec<_>>());
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(&item.unwrap());
    }
    (out, sent.get().expect("checksum after the end").to_base64())
}

#[test]
fn unsigned_trailer_bodies_match_botocore() {
    let cases = cases();
    assert!(cases.len() >= 29, "{} cases", cases.len());
    for case in &cases {
        let name = text(case, "name");
        let algorithm = ChecksumAlgorithm::from_name(text(case, "algorithm")).unwrap();
        let data = body(case);
        assert_eq!(
            algorithm.digest(&data).to_base64(),
            text(case, "checksum_b64"),
            "{name}: checksum header value"
        );
        let layout = ChunkedLayout {
            mode: ChunkedMode::UnsignedWithTrailer,
            checksum: algorithm,
            chunk_size: number(&case["chunk_size"]) as usize,
            decoded_len: data.len() as u64,
        };
        let expected_len = number(&case["encoded_len"]);
        assert_eq!(layout.encoded_len(), expected_len, "{name}: encoded_len");
        assert_eq!(
            encoded_len(
                data.len() as u64,
                layout.chunk_size,
                ChunkedMode::UnsignedWithTrailer,
                algorithm
            ),
            expected_len,
            "{name}"
        );
        for piece in [64 * 1024, 1000, 65_537] {
            let (encoded, checksum) = encode(&data, piece, layout);
            assert_eq!(checksum, text(case, "checksum_b64"), "{name}");
            assert_eq!(encoded.len() as u64, expected_len, "{name}: length");
            let first_line = encoded.split(|b| *b == b'\r').next().unwrap();
            assert_eq!(
                first_line,
                text(case, "encoded_first_line").as_bytes(),
                "{name}"
            );
            let tail = text(case, "encoded_tail").as_bytes();
            assert_eq!(
                String::from_utf8_lossy(&encoded[encoded.len() - tail.len()..]),
                String::from_utf8_lossy(tail),
                "{name}: final chunk and trailer"
            );
            if let Some(whole) = case["encoded_b64"].as_str() {
                use base64::Engine;
                let whole = base64::engine::general_purpose::STANDARD
                    .decode(whole)
                    .unwrap();
                assert!(encoded == whole, "{name}: bytes");
            }
            assert_eq!(
                hex::encode(Sha256::digest(&encoded)),
                text(case, "encoded_sha256"),
                "{name}: bytes (SHA-256)"
            );
        }
        if case["kind"] == "request" {
            // botocore's own request path: the headers it sends next to such a body.
            let headers: Vec<(&str, &str)> = case["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
                .collect();
            let decoded_len = data.len().to_string();
            assert!(
                headers.contains(&("x-amz-decoded-content-length", decoded_len.as_str())),
                "{name}: {headers:?}"
            );
            assert!(
                headers.contains(&("x-amz-trailer", algorithm.header_name())),
                "{name}: {headers:?}"
            );
        }
    }
}
