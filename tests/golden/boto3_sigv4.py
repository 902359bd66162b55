"""Generate golden AWS SigV4 (S3) test vectors with botocore's real signer.

Writes ``tests/golden/sigv4_boto3.json`` next to this script, so the Rust
signer can be checked byte for byte against boto3/botocore.

How to run it by hand (from the repository root):

    python3 -m venv /tmp/boto-venv
    /tmp/boto-venv/bin/pip install boto3
    /tmp/boto-venv/bin/python tests/golden/boto3_sigv4.py

(or activate the venv and run ``python tests/golden/boto3_sigv4.py``).
The script rewrites the JSON file each time. Output is deterministic: the
clock botocore's signer reads (``botocore.auth.get_current_datetime``) is
patched to a fixed instant, and the credentials are AWS's documentation
example keys (not real secrets).
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import pathlib
from unittest import mock

import botocore
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

OUT = pathlib.Path(__file__).resolve().parent / "sigv4_boto3.json"
FIXED_TIME = datetime.datetime(2026, 1, 15, 12, 34, 56)  # naive UTC, as botocore uses
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TEMP_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/session+token/for+golden+tests=="
ADDED = {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}
UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def encode(text, keep_slash):
    """Percent-encode UTF-8 bytes, keeping only A-Za-z0-9-_.~ (and '/')."""
    keep = UNRESERVED | ({ord("/")} if keep_slash else set())
    return "".join(chr(b) if b in keep else "%%%02X" % b for b in text.encode("utf-8"))


def object_path(bucket, key):
    path = "/" + encode(bucket, True)
    if key is not None:
        path += "/" + encode(key, True)
        assert encode(key, True) == percent_encode(key, safe="/~"), key
    return path


def query(pairs):
    """Encode (name, value) pairs; value None means a bare sub-resource."""
    parts = []
    for name, value in pairs:
        if value is None:
            parts.append(encode(name, False))
        else:
            parts.append(encode(name, False) + "=" + encode(value, False))
            assert encode(value, False) == percent_encode(value), value
    return ("?" + "&".join(parts)) if parts else ""


class Capture(logging.Handler):
    """Record the canonical request / string to sign botocore logs while signing."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = {}

    def emit(self, record):
        if record.args and record.msg.split(":")[0] in ("CanonicalRequest", "StringToSign"):
            self.seen[record.msg.split(":")[0]] = record.args[0]


def sign_case(name, method, base, bucket, key, region, temp, headers=(), body="",
              query_pairs=(), virtual_host=False):
    if virtual_host:
        path = "/" + (encode(key, True) if key is not None else "")
    else:
        path = object_path(bucket, key)
    url = base + path + query(query_pairs)
    access_key = TEMP_ACCESS_KEY if temp else ACCESS_KEY
    creds = Credentials(access_key, SECRET_KEY, SESSION_TOKEN if temp else None)
    data = body.encode("utf-8") if body else None
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=data)
    request.context["payload_signing_enabled"] = True

    capture = Capture()
    log = logging.getLogger("botocore.auth")
    log.addHandler(capture)
    log.setLevel(logging.DEBUG)
    try:
        with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED_TIME):
            S3SigV4Auth(creds, "s3", region).add_auth(request)
    finally:
        log.removeHandler(capture)
    canonical, sts = capture.seen["CanonicalRequest"], capture.seen["StringToSign"]

    # Consistency checks against botocore's own output.
    h = request.headers
    assert request.url == url == request.prepare().url, (request.url, url)
    assert h["X-Amz-Content-SHA256"] == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert sts.split("\n")[-1] == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    signed = h["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    headers_in = [[n.lower(), v] for n, v in headers]
    expected = {n for n, _ in headers_in} | (ADDED if temp else ADDED - {"x-amz-security-token"})
    assert set(signed) == expected, (signed, expected)
    key_bytes = ("AWS4" + SECRET_KEY).encode()
    for part in (FIXED_TIME.strftime("%Y%m%d"), region, "s3", "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key_bytes, sts.encode(), hashlib.sha256).hexdigest()
    assert h["Authorization"].endswith("Signature=" + sig)

    return {
        "name": name,
        "method": method,
        "url": request.url,
        "bucket": bucket,
        "key": key,
        "region": region,
        "access_key_id": access_key,
        "secret_access_key": SECRET_KEY,
        "session_token": SESSION_TOKEN if temp else None,
        "time": FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body_utf8": body,
        "headers_in": headers_in,
        "x_amz_date": h["X-Amz-Date"],
        "x_amz_content_sha256": h["X-Amz-Content-SHA256"],
        "x_amz_security_token": h.get("X-Amz-Security-Token"),
        "authorization": h["Authorization"],
        "canonical_request": canonical,
        "string_to_sign": sts,
    }


def main():
    vhost = "https://examplebucket.s3.us-east-1.amazonaws.com"
    local = "http://127.0.0.1:9000"
    odd_key = ("dir/a b+c=d:e@f,g;h!i'j*k$l(m)n[o]p|q&r~s%t/"
               "\u00fcn\u00ef/\u65e5\u672c.txt")
    body = "hello, world\n"
    put_headers = [
        ("Content-Type", "text/plain"),
        ("Content-MD5", base64.b64encode(hashlib.md5(body.encode()).digest()).decode()),
        ("x-amz-meta-author", "someone"),
        ("Cache-Control", "max-age=60"),
    ]
    list_query = [("list-type", "2"), ("prefix", "a b+c/"), ("delimiter", "/"),
                  ("max-keys", "10"), ("encoding-type", "url")]
    cases = []
    for temp in (False, True):
        sfx = "_temp_creds" if temp else ""
        cases += [
            sign_case("get_object_virtual_host_range" + sfx, "GET", vhost, "examplebucket",
                      "photos/2019/a.jpg", "us-east-1", temp,
                      headers=[("Range", "bytes=0-99")], virtual_host=True),
            sign_case("put_object_path_style_odd_key" + sfx, "PUT", local, "my-bucket",
                      odd_key, "eu-west-1", temp, headers=put_headers, body=body),
            sign_case("list_objects_v2_virtual_host" + sfx, "GET",
                      "https://examplebucket.s3.eu-central-1.amazonaws.com", "examplebucket",
                      None, "eu-central-1", temp, query_pairs=list_query, virtual_host=True),
            sign_case("get_object_leading_double_slash" + sfx, "GET", local, "my-bucket",
                      "//lead//x", "eu-west-1", temp),
            sign_case("get_bucket_cors_subresource" + sfx, "GET", local, "my-bucket",
                      None, "eu-west-1", temp, query_pairs=[("cors", None)]),
            sign_case("put_object_https_with_md5" + sfx, "PUT", vhost, "examplebucket",
                      "docs/report 2026.txt", "us-east-1", temp,
                      headers=put_headers, body=body, virtual_host=True),
        ]
    doc = {
        "generator": "tests/golden/boto3_sigv4.py",
        "botocore_version": botocore.__version__,
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
