"""Generate golden S3 presigned-URL and presigned-POST vectors with botocore.

Writes ``tests/golden/presign_boto3.json`` next to this script, so the Rust
presigner can be checked byte for byte against boto3/botocore
(``generate_presigned_url`` and ``generate_presigned_post`` on a real client
built with ``Config(signature_version="s3v4")``).

How to run it by hand (from the repository root):

    python3 -m venv /tmp/boto-venv
    /tmp/boto-venv/bin/pip install boto3
    /tmp/boto-venv/bin/python tests/golden/boto3_presign.py

The script rewrites the JSON file each time. Output is deterministic: both
places that read the clock (``botocore.auth.get_current_datetime`` for the
signers and ``botocore.signers.get_current_datetime`` for the POST policy
expiration) are patched to a fixed instant, AWS_* environment variables and
the user's ~/.aws files are ignored, and the credentials are AWS's
documentation example keys (not real secrets).
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import os
import pathlib
from unittest import mock
from urllib.parse import quote, unquote, urlsplit

for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402  (imported after the environment is isolated)
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "presign_boto3.json"
FIXED_TIME = datetime.datetime(2026, 1, 15, 12, 34, 56)  # naive UTC, as botocore uses
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TEMP_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/session+token/for+golden+tests=="
LOCAL = "http://127.0.0.1:9000"
ODD_KEY = ("dir/a b+c=d:e@f,g;h!i'j*k$l(m)n[o]p|q&r~s%t/"
           "\u00fcn\u00ef/\u65e5\u672c.txt")


class Capture(logging.Handler):
    """Record the canonical request / string to sign botocore logs while signing."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = {}

    def emit(self, record):
        if record.args and record.msg.split(":")[0] in ("CanonicalRequest", "StringToSign"):
            self.seen[record.msg.split(":")[0]] = record.args[0]


def client(region, endpoint_url, style, temp):
    session = boto3.session.Session(
        aws_access_key_id=TEMP_ACCESS_KEY if temp else ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN if temp else None,
        region_name=region)
    config = Config(signature_version="s3v4", s3={"addressing_style": style})
    return session.client("s3", endpoint_url=endpoint_url, config=config)


def signing_key(region):
    key = ("AWS4" + SECRET_KEY).encode()
    for part in (FIXED_TIME.strftime("%Y%m%d"), region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def common(name, bucket, key, region, endpoint_url, style, temp, expires_in):
    return {
        "name": name, "bucket": bucket, "key": key, "region": region,
        "endpoint_url": endpoint_url, "addressing_style": style,
        "access_key_id": TEMP_ACCESS_KEY if temp else ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "session_token": SESSION_TOKEN if temp else None,
        "time": FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"), "expires_in": expires_in,
    }


def url_case(name, method, op, region, endpoint_url, style, bucket, key, expires_in,
             temp, extra=None):
    s3 = client(region, endpoint_url, style, temp)
    seen, capture = {}, Capture()
    real_add_auth = botocore.auth.S3SigV4QueryAuth.add_auth

    def spy(self, request):  # keep the request botocore actually signed
        real_add_auth(self, request)
        seen["headers"] = {k.lower(): v for k, v in request.headers.items()}

    log = logging.getLogger("botocore.auth")
    log.addHandler(capture)
    log.setLevel(logging.DEBUG)
    try:
        with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED_TIME), \
                mock.patch.object(botocore.auth.S3SigV4QueryAuth, "add_auth", spy):
            url = s3.generate_presigned_url(
                op, Params=dict(Bucket=bucket, Key=key, **(extra or {})),
                ExpiresIn=expires_in)
    finally:
        log.removeHandler(capture)
    canonical, sts = capture.seen["CanonicalRequest"], capture.seen["StringToSign"]

    # Split the query: operation params come first, then the X-Amz-* auth params.
    pairs = [p.split("=", 1) for p in urlsplit(url).query.split("&")]
    first_auth = [n for n, _ in pairs].index("X-Amz-Algorithm")
    op_params = [[unquote(n), unquote(v)] for n, v in pairs[:first_auth]]
    auth = dict((n, unquote(v)) for n, v in pairs[first_auth:])
    for (n, v), (rn, rv) in zip(pairs, [[unquote(n), unquote(v)] for n, v in pairs]):
        assert n == quote(rn, safe="-_.~") and v == quote(rv, safe="-_.~"), (n, v)
    assert pairs[-1][0] == "X-Amz-Signature"
    assert auth["X-Amz-Date"] == FIXED_TIME.strftime("%Y%m%dT%H%M%SZ")
    assert auth["X-Amz-Expires"] == str(expires_in)
    assert auth.get("X-Amz-Security-Token") == (SESSION_TOKEN if temp else None)

    # Signed headers: from the signed request, cross-checked with the URL and
    # with the canonical request botocore hashed.
    names = auth["X-Amz-SignedHeaders"].split(";")
    assert names == sorted(names) and "host" in names
    assert set(names) <= set(seen["headers"]) | {"host"}, (names, seen["headers"])
    signed = [[n, seen["headers"][n]] for n in names if n != "host"]
    lines = canonical.split("\n")
    assert lines[0] == method and lines[-1] == "UNSIGNED-PAYLOAD"
    assert lines[-2] == auth["X-Amz-SignedHeaders"]
    host = urlsplit(url).netloc
    assert lines[3:3 + len(names)] == [f"{n}:{dict(signed).get(n, host).strip()}" for n in names]
    assert sts.split("\n")[-1] == hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(signing_key(region), sts.encode(), hashlib.sha256).hexdigest()
    assert auth["X-Amz-Signature"] == sig, (url, sig)

    return dict(common(name, bucket, key, region, endpoint_url, style, temp, expires_in),
                method=method, operation=op, operation_params=op_params,
                signed_headers=signed, url=url, canonical_request=canonical,
                string_to_sign=sts)


def post_case(name, region, endpoint_url, style, bucket, key, fields_in, conditions_in,
              expires_in, temp):
    s3 = client(region, endpoint_url, style, temp)
    with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED_TIME), \
            mock.patch("botocore.signers.get_current_datetime", return_value=FIXED_TIME):
        out = s3.generate_presigned_post(
            Bucket=bucket, Key=key, Fields=json.loads(json.dumps(fields_in)),
            Conditions=json.loads(json.dumps(conditions_in)), ExpiresIn=expires_in)
    fields = out["fields"]
    policy_json = base64.b64decode(fields["policy"]).decode("utf-8")
    policy = json.loads(policy_json)
    expiry = FIXED_TIME + datetime.timedelta(seconds=expires_in)
    assert policy["expiration"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert base64.b64encode(json.dumps(policy).encode()).decode() == fields["policy"]
    assert fields["x-amz-date"] == FIXED_TIME.strftime("%Y%m%dT%H%M%SZ")
    assert fields.get("x-amz-security-token") == (SESSION_TOKEN if temp else None)
    sig = hmac.new(signing_key(region), fields["policy"].encode(), hashlib.sha256).hexdigest()
    assert fields["x-amz-signature"] == sig, (fields, sig)
    return dict(common(name, bucket, key, region, endpoint_url, style, temp, expires_in),
                fields_in=fields_in, conditions_in=conditions_in, url=out["url"],
                fields=fields, fields_order=list(fields), policy_json=policy_json)


def main():
    urls, posts = [], []
    for temp in (False, True):
        sfx = "_temp_creds" if temp else ""
        urls += [
            url_case("get_object_virtual_host" + sfx, "GET", "get_object", "us-east-1", None,
                     "virtual", "examplebucket", "photos/2019/February/image023.jpg", 3600,
                     temp),
            url_case("get_object_odd_key_response_overrides" + sfx, "GET", "get_object",
                     "eu-west-2", None, "virtual", "examplebucket", ODD_KEY, 86400, temp,
                     {"ResponseContentDisposition": "attachment; filename=\"report 2026.pdf\";"
                      " filename*=UTF-8''report%202026.pdf",
                      "ResponseContentType": "application/pdf"}),
            url_case("put_object_path_style_signed_headers" + sfx, "PUT", "put_object",
                     "ap-southeast-2", LOCAL, "path", "my-bucket", "uploads/user 12/image.jpg",
                     900, temp, {"ContentType": "image/jpeg", "ACL": "private",
                                 "Metadata": {"author": "someone"}}),
            url_case("head_object_virtual_host_max_expiry" + sfx, "HEAD", "head_object",
                     "us-west-2", None, "virtual", "examplebucket", "a/b.txt", 604800, temp),
            url_case("delete_object_virtual_host_max_expiry" + sfx, "DELETE", "delete_object",
                     "us-west-2", None, "virtual", "examplebucket", "a/b.txt", 604800, temp),
            url_case("get_object_leading_slash_path_style" + sfx, "GET", "get_object",
                     "us-east-1", LOCAL, "path", "my-bucket", "/lead//x.txt", 3600, temp),
        ]
        posts += [
            post_case("post_virtual_host_filename_prefix" + sfx, "us-east-1", None, "virtual",
                      "examplebucket", "user/user1/${filename}",
                      {"acl": "private", "success_action_status": "201"},
                      [{"acl": "private"}, {"success_action_status": "201"},
                       ["content-length-range", 0, 100000],
                       ["starts-with", "$Content-Type", "image/"]], 1800, temp),
            post_case("post_path_style_exact_key" + sfx, "eu-central-1", LOCAL, "path",
                      "my-bucket", "exact/key name \u00fc.txt",
                      {"Content-Type": "text/plain", "x-amz-meta-author": "someone"},
                      [{"Content-Type": "text/plain"}, {"x-amz-meta-author": "someone"},
                       ["content-length-range", 1, 10485760]], 3600, temp),
        ]
    doc = {
        "generator": "tests/golden/boto3_presign.py",
        "botocore_version": botocore.__version__,
        "urls": urls,
        "posts": posts,
    }
    OUT.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    print(f"wrote {len(urls)} presigned URLs and {len(posts)} presigned POSTs to {OUT}")


if __name__ == "__main__":
    main()
