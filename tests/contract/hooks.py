"""Schemathesis hooks of the contract test (tests/contract.rs).

They keep every request the fuzzer sends on this machine and let it name the one stored
connection that works; they never make a request valid or invalid (schemathesis validates a
case again after a `before_call` hook changed it, and judges it by what is finally sent):

- `connection_id` in a run or options request: the id of the service's `local` connection (a
  store embedded in the service), so that schema-valid requests reach a real S3 store. Any
  other id is as valid by the schema and answers 404, which proves nothing.
- an inline `connection`: its `endpoint_url` is the local store, so that no request ever
  leaves loopback (a generated connection would otherwise name AWS or any other host).
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
    if case.method.upper() == "DELETE" and case.path_parameters.get("id") == LOCAL_ID:
        case.path_parameters["id"] = "0" * 24
