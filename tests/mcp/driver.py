"""Drive an MCP server with the official MCP Python SDK, for the integration tests.

The tests (tests/suite/mcp.rs) run this with the Python of the `mcp` virtual environment that
scripts/test installs (S3C_TEST_MCP_PYTHON). It is a client nobody on this project wrote the
protocol side of: what it sees is what an agent's MCP client sees.

Input: a JSON scenario, as the first argument, or (when there is none) as the first line of
standard input. Standard input stays open after it: a step that waits for `DONE` reads it there.

    {
      "transport": {"type": "stdio", "command": "...", "args": [...], "env": {...}}
                 | {"type": "http", "url": "http://127.0.0.1:PORT/mcp", "token": "..."},
      "mode": "legacy" | "auto",            (the SDK's version negotiation; default "auto")
      "elicitation": "accept" | "accept_false" | "decline" | "cancel" | null,
                                            (null: the client declares no elicitation support;
                                            otherwise its default answer to every form)
      "timeout": 60,                        (seconds for the whole session)
      "steps": [
        {"op": "list_tools"},
        {"op": "call_tool", "name": "...", "arguments": {...},
         "progress": true,                  (send a progress token and record the notifications)
         "elicit": "decline",               (this call's answer, overriding "elicitation")
         "cancel_after_progress": 1},       (cancel the call once that many notifications with
                                            progress > 0 arrived, print CANCELLED, then wait for
                                            a DONE line on standard input before going on)
        {"op": "list_resources"},           (resources and resource templates)
        {"op": "read_resource", "uri": "s3://..."},
        {"op": "download", "url": "..."}    (plain HTTP GET with urllib; without "url", every
                                            resource_link of the last call_tool result)
      ]
    }

Output: one JSON object per line on standard output, flushed as it happens:
  {"event": "connected", "protocol_version": ..., "server_info": {...}}
  {"event": "progress", "step": N, "progress": P, "total": T, "message": M}
  {"event": "elicitation", "step": N, "params": {...}, "answer": {...}}
  {"step": N, "op": "list_tools", "tools": [...], "schema_errors": [...]}
  {"step": N, "op": "call_tool", "result": {...}, "progress": [...], "elicitations": [...]}
  {"step": N, "op": "call_tool", "cancelled": true, "progress": [...]}, then the line CANCELLED
  {"step": N, "op": "download", "downloads": [{"url", "status", "size", "sha256"}]}
  {"step": N, "op": "list_resources", "resources": [...], "templates": [...]}
  {"step": N, "op": "read_resource", "contents": [...]}
  {"step": N, "op": ..., "error": {"type": ..., "message": ..., "code": ...}}   (a step that raised)
  {"event": "fatal", "error": {...}}    (the session itself failed; exit code 1)
  {"event": "end"}
Tools and results are the SDK's models dumped by alias (the wire's field names), without nulls.
Every published schema is checked with jsonschema's Draft202012Validator.check_schema; the
failures are listed in "schema_errors" as {"tool", "schema", "error"}.
"""

from __future__ import annotations

import hashlib
import json
import sys
import traceback
import urllib.request
from typing import Any

import anyio
import anyio.to_thread
import jsonschema
import mcp_types as types
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

ANSWERS = {
    "accept": lambda: types.ElicitResult(action="accept", content={"confirm": True}),
    "accept_false": lambda: types.ElicitResult(action="accept", content={"confirm": False}),
    "decline": lambda: types.ElicitResult(action="decline"),
    "cancel": lambda: types.ElicitResult(action="cancel"),
}


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def dump(model: Any) -> Any:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


def describe(err: BaseException) -> dict[str, Any]:
    while isinstance(err, BaseExceptionGroup) and len(err.exceptions) == 1:
        err = err.exceptions[0]
    out: dict[str, Any] = {"type": type(err).__name__, "message": str(err)}
    if isinstance(err, MCPError):
        out["code"] = err.code
        out["message"] = err.message
        if err.data is not None:
            out["data"] = err.data
    return out


def schema_errors(tools: list[dict[str, Any]]) -> list[dict[str, str]]:
    errors = []
    for tool in tools:
        for which in ("inputSchema", "outputSchema"):
            if which not in tool:
                continue
            try:
                jsonschema.Draft202012Validator.check_schema(tool[which])
            except jsonschema.SchemaError as err:
                errors.append({"tool": tool.get("name", "?"), "schema": which, "error": err.message})
    return errors


def resource_links(result: dict[str, Any] | None) -> list[str]:
    if not result:
        return []
    return [block["uri"] for block in result.get("content", []) if block.get("type") == "resource_link"]


def download(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            return {
                "url": url,
                "status": response.status,
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
    except urllib.error.HTTPError as err:
        return {"url": url, "status": err.code, "error": err.read().decode("utf-8", "replace")[:2000]}


class Driver:
    def __init__(self, scenario: dict[str, Any], stdin_lines: Any) -> None:
        self.scenario = scenario
        self.stdin_lines = stdin_lines
        self.step = -1
        self.default_answer = scenario.get("elicitation")
        self.answer = self.default_answer
        self.elicitations: list[dict[str, Any]] = []
        self.last_result: dict[str, Any] | None = None

    async def on_elicit(self, _context: Any, params: Any) -> types.ElicitResult:
        answer = ANSWERS[self.answer or "decline"]()
        record = {"params": dump(params), "answer": dump(answer)}
        self.elicitations.append(record)
        emit({"event": "elicitation", "step": self.step, **record})
        return answer

    def client(self) -> Client:
        transport = self.scenario["transport"]
        if transport["type"] == "stdio":
            server: Any = StdioServerParameters(
                command=transport["command"],
                args=transport.get("args", []),
                env=transport.get("env"),
                cwd=transport.get("cwd"),
            )
        elif transport["type"] == "http":
            headers = {}
            if transport.get("token"):
                headers["Authorization"] = "Bearer " + transport["token"]
            headers.update(transport.get("headers", {}))
            http = create_mcp_http_client(headers=headers)
            server = streamable_http_client(transport["url"], http_client=http)
        else:
            raise ValueError(f"unknown transport type {transport['type']!r}")
        return Client(
            server,
            mode=self.scenario.get("mode", "auto"),
            elicitation_callback=self.on_elicit if self.default_answer else None,
            cache=None,
        )

    async def run(self) -> None:
        async with self.client() as client:
            emit(
                {
                    "event": "connected",
                    "protocol_version": client.protocol_version,
                    "server_info": dump(client.server_info) if client.server_info else None,
                    "capabilities": dump(client.server_capabilities),
                }
            )
            for self.step, step in enumerate(self.scenario.get("steps", [])):
                op = step["op"]
                try:
                    out = await getattr(self, "op_" + op)(client, step)
                except Exception as err:  # a step that raised is a result, the next step runs
                    out = {"error": describe(err)}
                emit({"step": self.step, "op": op, **out})

    async def op_list_tools(self, client: Client, _step: dict[str, Any]) -> dict[str, Any]:
        tools: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools.extend(dump(tool) for tool in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        return {"tools": tools, "schema_errors": schema_errors(tools)}

    async def op_call_tool(self, client: Client, step: dict[str, Any]) -> dict[str, Any]:
        self.answer = step.get("elicit", self.default_answer)
        self.elicitations = []
        progress: list[dict[str, Any]] = []
        cancel_after = step.get("cancel_after_progress")
        scope = anyio.CancelScope()

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            event = {"progress": value, "total": total, "message": message}
            progress.append(event)
            emit({"event": "progress", "step": self.step, **event})
            if cancel_after and sum(1 for p in progress if p["progress"] > 0) >= cancel_after:
                scope.cancel()

        want_progress = step.get("progress") or cancel_after
        result = None
        with scope:
            result = await client.call_tool(
                step["name"],
                step.get("arguments", {}),
                progress_callback=on_progress if want_progress else None,
            )
        if result is None:  # cancelled by the scope
            self.last_result = None
            emit({"step": self.step, "op": "call_tool", "cancelled": True, "progress": progress})
            sys.stdout.write("CANCELLED\n")
            sys.stdout.flush()
            line = await anyio.to_thread.run_sync(self.stdin_lines.readline)
            return {"waited": "DONE" if line.strip() == "DONE" else "eof"}
        self.last_result = dump(result)
        return {"result": self.last_result, "progress": progress, "elicitations": self.elicitations}

    async def op_list_resources(self, client: Client, _step: dict[str, Any]) -> dict[str, Any]:
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
        return {
            "resources": [dump(r) for r in resources.resources],
            "templates": [dump(t) for t in templates.resource_templates],
        }

    async def op_read_resource(self, client: Client, step: dict[str, Any]) -> dict[str, Any]:
        result = await client.read_resource(step["uri"])
        return {"contents": [dump(c) for c in result.contents]}

    async def op_download(self, _client: Client, step: dict[str, Any]) -> dict[str, Any]:
        urls = [step["url"]] if step.get("url") else resource_links(self.last_result)
        downloads = []
        for url in urls:
            downloads.append(await anyio.to_thread.run_sync(download, url))
        return {"downloads": downloads}


async def main() -> int:
    if len(sys.argv) > 1:
        scenario = json.loads(sys.argv[1])
    else:
        scenario = json.loads(sys.stdin.readline())
    driver = Driver(scenario, sys.stdin)
    try:
        with anyio.fail_after(scenario.get("timeout", 60)):
            await driver.run()
    except BaseException as err:  # noqa: BLE001 - every failure is reported, then the exit code says it
        emit({"event": "fatal", "error": describe(err), "traceback": traceback.format_exc()[-4000:]})
        return 1
    emit({"event": "end"})
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
