"""Generate golden aws-chunked bodies (STREAMING-UNSIGNED-PAYLOAD-TRAILER) with botocore.

Writes ``tests/golden/chunked_boto3.json`` next to this script, so the Rust
aws-chunked encoder (``connector-core/src/wire/chunked.rs``) can be checked
byte for byte against botocore's ``AwsChunkedWrapper`` (botocore/httpchecksum.py),
the body an AWS SDK for Python sends for a PutObject/UploadPart with a
checksum in the trailer.

How to run it by hand (from the repository root):

    python3 -m venv /tmp/boto-venv
    /tmp/boto-venv/bin/pip install boto3
    /tmp/boto-venv/bin/python tests/golden/boto3_chunked.py

(``target/test-venv/bin/python tests/golden/boto3_chunked.py`` works too.)
The script rewrites the JSON file each time; its output is deterministic (no
clock, no credentials: unsigned aws-chunked bodies carry no signature).

Bodies are generated, not stored: ``pattern`` is byte ``(7 * i + 3) % 251`` at
offset ``i``, ``a`` is that many ``a`` bytes. Each case records botocore's
encoding of the body, whole (``encoded_b64``) when it is small and always as
its length and SHA-256, plus its first line and its tail (the final chunk and
the trailer) in clear. Algorithms: CRC32, SHA-1 and SHA-256 only; CRC32C and
CRC64NVME need ``awscrt``, which the script uses when it is installed (then
cases for them are added too).

Two kinds of case:
- ``wrapper``: ``AwsChunkedWrapper(io.BytesIO(body), checksum_cls,
  "x-amz-checksum-<alg>", chunk_size)`` read to its end;
- ``request``: botocore's own ``_apply_request_trailer_checksum`` on a request
  dict (its default chunk size, 1 MiB), also recording the headers it sets.
"""

import base64
import hashlib
import io
import json
import pathlib

import botocore
from botocore import httpchecksum

OUT = pathlib.Path(__file__).resolve().parent / "chunked_boto3.json"
SMALL = 9000  # encoded bodies up to this length are stored whole

ALGORITHMS = {
    "CRC32": httpchecksum.Crc32Checksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
}
if botocore.compat.HAS_CRT:
    ALGORITHMS["CRC32C"] = httpchecksum.CrtCrc32cChecksum
    ALGORITHMS["CRC64NVME"] = httpchecksum.CrtCrc64NvmeChecksum


def make_body(kind, length):
    if kind == "a":
        return b"a" * length
    return bytes((7 * i + 3) % 251 for i in range(length))


def describe(encoded):
    first_line = encoded.split(b"\r\n", 1)[0]
    final = encoded.rfind(b"\r\n0\r\n")
    tail = encoded[final + 2 :] if final >= 0 else encoded
    case = {
        "encoded_len": len(encoded),
        "encoded_sha256": hashlib.sha256(encoded).hexdigest(),
        "encoded_first_line": first_line.decode("ascii"),
        "encoded_tail": tail.decode("ascii"),
    }
    if len(encoded) <= SMALL:
        case["encoded_b64"] = base64.b64encode(encoded).decode("ascii")
    return case


def wrapper_case(kind, length, algorithm, chunk_size):
    body = make_body(kind, length)
    name = "x-amz-checksum-" + algorithm.lower()
    wrapper = httpchecksum.AwsChunkedWrapper(
        io.BytesIO(body), ALGORITHMS[algorithm], name, chunk_size=chunk_size
    )
    encoded = wrapper.read()
    checksum = ALGORITHMS[algorithm]()
    case = {
        "name": f"wrapper {kind}x{length} {algorithm} chunk {chunk_size}",
        "kind": "wrapper",
        "body": {"pattern": kind, "len": length},
        "algorithm": algorithm,
        "chunk_size": chunk_size,
        "checksum_b64": checksum.handle(body),
    }
    case.update(describe(encoded))
    return case


def request_case(kind, length, algorithm, content_encoding=None):
    body = make_body(kind, length)
    headers = {"Content-Length": str(length)}
    if content_encoding:
        headers["Content-Encoding"] = content_encoding
    request = {
        "headers": headers,
        "body": body,
        "context": {
            "checksum": {
                "request_algorithm": {
                    "algorithm": algorithm.lower(),
                    "in": "trailer",
                    "name": "x-amz-checksum-" + algorithm.lower(),
                }
            }
        },
    }
    httpchecksum._apply_request_trailer_checksum(request)
    encoded = request["body"].read()
    checksum = ALGORITHMS[algorithm]()
    case = {
        "name": f"request {kind}x{length} {algorithm}",
        "kind": "request",
        "body": {"pattern": kind, "len": length},
        "algorithm": algorithm,
        "chunk_size": httpchecksum.AwsChunkedWrapper._DEFAULT_CHUNK_SIZE,
        "checksum_b64": checksum.handle(body),
        "headers": sorted([k.lower(), v] for k, v in request["headers"].items()),
    }
    case.update(describe(encoded))
    return case


def main():
    cases = []
    for algorithm in ALGORITHMS:
        for length in [0, 1, 8191, 65535, 65536, 65537, 131072, 200000]:
            cases.append(wrapper_case("pattern", length, algorithm, 65536))
        cases.append(wrapper_case("a", 66560, algorithm, 65536))
    cases.append(wrapper_case("pattern", 100000, "CRC32", 8192))
    cases.append(request_case("pattern", 3_000_000, "CRC32"))
    cases.append(request_case("a", 10240, "SHA256", content_encoding="gzip"))
    OUT.write_text(
        json.dumps(
            {"botocore_version": botocore.__version__, "cases": cases},
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
