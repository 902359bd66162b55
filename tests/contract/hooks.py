"""Schemathesis hooks of the contract test (tests/suite/contract.rs).

They keep every request the fuzzer sends on this machine and let it name the one stored
connection that works; they never make a request valid or invalid (schemathesis validates a
case again after a `before_call` hook changed it, and judges it by what is finally sent):

- `connection_id` in a run or options request: the id of the service's `local` connection (a
  store embedded in the service), so that schema-valid requests reach a real S3 store. Any
  other id is as valid by the schema and answers 404, which proves nothing.
- an inline `connection`: its `endpoint_url` is the local store, so that no request ever
  leaves loopback (a generated connection would otherwise name AWS or any other host), with
  path-style addressing (the endpoint is an IP address, which cannot take a bucket name in
  front of it).
- `DELETE /v1/connections/{id}` never deletes the `local` connection the rest of the run uses.
"""

import os

import schemathesis

LOCAL_ID = os.environ["S3C_CONTRACT_CONNECTION_ID"]
LOCAL_ENDPOINT = os.environ["S3C_CONTRACT_ENDPOINT"]


@schemathesis.hook
def before_call(context, case, **kwargs):
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("connection_id"), str) and body["connection_id"]:
            body["connection_id"] = LOCAL_ID
        connection = body.get("connection")
        if isinstance(connection, dict):
            endpoint = connection.get("endpoint_url")
            if endpoint is None or isinstance(endpoint, str):
                connection["endpoint_url"] = LOCAL_ENDPOINT
                # The store's endpoint is an IP address: buckets go in the path.
                if isinstance(connection.get("addressing_style"), str):
                    connection["addressing_style"] = "path"
    if case.method.upper() == "DELETE" and case.path_parameters.get("id") == LOCAL_ID:
        case.path_parameters["id"] = "0" * 24


# Rules the document states only in descriptions, because JSON Schema cannot say them (a
# length in bytes, a comparison of two fields, a resource naming the bucket). A schema-valid
# case that breaks one is not sent as a positive case: the service refuses it, as the
# description says. Every other refusal of a schema-valid request fails the test.

MAX_KEY_BYTES = 1024


def _too_long(text):
    return isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES


def _join(folder, name):
    if not folder:
        return name
    return folder + name if folder.endswith("/") else folder + "/" + name


def _breaks_prose_rule(module, data):
    long_fields = ["key", "source_key", "destination_key", "prefix", "key_prefix", "folder"]
    if any(_too_long(data.get(field)) for field in long_fields):
        return True
    if any(_too_long(key) for key in data.get("keys") or []):
        return True
    if any(isinstance(v, dict) and _too_long(v.get("key")) for v in data.get("versions") or []):
        return True
    template = data.get("template")
    if isinstance(template, dict):
        for value in template.values():
            if isinstance(value, dict) and _too_long(value.get("prefix")):
                return True
    folder = data.get("folder") or ""
    if module == "upload_file" and isinstance(data.get("file_name"), str) and isinstance(folder, str):
        if _too_long(_join(folder, data["file_name"])):
            return True
    if module == "create_folder" and isinstance(data.get("folder"), str):
        folder = data["folder"]
        if _too_long(folder if folder.endswith("/") else folder + "/"):
            return True
    if module in ("copy_file", "move_file"):
        same_place = (data.get("destination_bucket") or data.get("source_bucket")) == data.get(
            "source_bucket"
        ) and data.get("destination_key") == data.get("source_key")
        if module == "move_file" and same_place:
            return True
        changes = (
            data.get("metadata_directive") == "replace"
            or data.get("storage_class") is not None
            or data.get("source_version_id") is not None
        )
        if module == "copy_file" and same_place and not changes:
            return True
    if module == "search_files":
        low, high = data.get("min_size"), data.get("max_size")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            return True
        after, before = data.get("modified_after"), data.get("modified_before")
        if isinstance(after, str) and isinstance(before, str):
            from datetime import datetime

            def parse(text):
                return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))

            try:
                if parse(after) >= parse(before):
                    return True
            except ValueError:
                return True
    if module == "get_file" and isinstance(data.get("range"), str):
        spec = data["range"].removeprefix("bytes=")
        start, _, end = spec.partition("-")
        if start.isdigit() and end.isdigit() and int(start) > int(end):
            return True
    if module == "presign_post":
        sizes = data.get("content_length_range")
        if (
            isinstance(sizes, list)
            and len(sizes) == 2
            and all(isinstance(size, (int, float)) for size in sizes)
            and sizes[0] > sizes[1]
        ):
            return True
    if module == "put_bucket_policy" and isinstance(data.get("policy"), dict):
        import json

        if len(json.dumps(data["policy"], separators=(",", ":"))) > 20 * 1024:
            return True
    return False


def _module_of(case):
    parts = case.path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["v1", "modules"] and parts[3] == "run":
        return parts[2]
    return None


@schemathesis.hook
def filter_case(context, case):
    # Whatever the mode (it is decided after this hook): a negative case dropped here is one
    # fewer, never a wrong verdict.
    module = _module_of(case)
    if module is None or not isinstance(case.body, dict):
        return True
    data = case.body.get("input")
    return not (isinstance(data, dict) and _breaks_prose_rule(module, data))


def _name_the_bucket(resources, bucket):
    """Resources of a generated policy, rewritten to name `bucket` (keeping their key part)."""

    def one(resource):
        if not isinstance(resource, str):
            return resource
        head, _, rest = resource.partition(":::")
        key = rest.partition("/")[2]
        return f"{head}:::{bucket}" + (f"/{key}" if "/" in rest else "")

    return [one(r) for r in resources] if isinstance(resources, list) else one(resources)


@schemathesis.hook("before_call")
def policies_name_their_bucket(context, case, **kwargs):
    """A positive policy's resources name the request's bucket (the rule its description
    states): the generator cannot know it, the service refuses other buckets."""
    if _module_of(case) != "put_bucket_policy":
        return
    data = case.body.get("input") if isinstance(case.body, dict) else None
    policy = data.get("policy") if isinstance(data, dict) else None
    if not isinstance(policy, dict) or not isinstance(data.get("bucket"), str):
        return
    statements = policy.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict):
            for name in ("Resource", "NotResource"):
                if name in statement:
                    statement[name] = _name_the_bucket(statement[name], data["bucket"])


BUCKET_FIELDS = ("bucket", "source_bucket", "destination_bucket")


def _modern_bucket_name(name):
    """S3's rules for bucket names since 2018, which the embedded store (s3s) enforces on
    every request."""
    import ipaddress
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name) or ".." in name:
        return False
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        return True


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Refusals that come from the store behind the service, which relays them with S3's own
    status in the error's `status`; every other failure stands.

    - The document accepts legacy bucket names (capitals, underscores, 1 to 255 characters: old
      us-east-1 buckets have them); the embedded store refuses them with S3's 400.
    - Make an API Call sends any request the caller writes: the store's 4xx answer to it is
      the module's result, not a refusal by the service.
    - The embedded store has no STS: Assume Role (and a connection with a role) gets its 501
      NotImplemented, relayed as 502.
    """
    import json

    if failure.code not in ("ST101", "ST202"):
        return True
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return True
    upstream = error.get("status")
    if not isinstance(upstream, int):
        return True
    if response.status_code == 502 and error.get("code") == "NotImplemented":
        return False
    if failure.code != "ST202" or response.status_code != 400 or upstream != 400:
        return True
    if _module_of(case) == "make_api_call":
        return False
    data = case.body.get("input") if isinstance(case.body, dict) else None
    if not isinstance(data, dict):
        return True
    legacy = any(
        isinstance(data.get(field), str) and not _modern_bucket_name(data[field])
        for field in BUCKET_FIELDS
    )
    # InvalidBucketName, or BadRequest to a HEAD (no body), or InvalidArgument for an
    # `x-amz-copy-source` naming such a bucket.
    return not (
        legacy and error.get("code") in ("InvalidBucketName", "BadRequest", "InvalidArgument")
    )
