"""A loopback replay server for the OpenAlex API client: scripted pages, injectable faults, recorded requests.

It listens on 127.0.0.1 only (port chosen by the OS) and serves ``/works`` or ``/authors`` list pages:

* ``ReplayServer(pages=[...])`` serves given response bodies (e.g. the real pages in tests/data/openalex/api-pages)
  chained by cursor: the first for ``cursor=*``, each next one for the previous page's ``meta.next_cursor``. With
  ``end="null"`` the last page's ``next_cursor`` becomes null; with ``end="empty"`` it keeps its cursor, and that
  cursor gets an empty page with ``next_cursor: null`` (what the real API does after the last results).
* ``ReplayServer(records=[...])`` pages a list of records honouring ``per-page``; the cursor encodes the offset.

``server.fail(cursor, fault, ...)`` queues faults for the next requests with that cursor: :func:`status`
(e.g. 429 with ``Retry-After``, 500), :func:`truncated` (a 200 whose JSON body is cut in half),
:func:`cut` (the connection closes before the announced Content-Length), :func:`drop` (closed without a
response) and :func:`not_a_page` (valid JSON without ``results``). Every request is recorded in
``server.requests`` with its path, query parameters and headers.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_PAGES = Path(__file__).resolve().parents[1] / "data" / "openalex" / "api-pages"


def real_pages() -> list[dict[str, Any]]:
    """The six real OpenAlex API pages (377 records, 294 distinct ids), in file-name order."""
    return [json.loads(gzip.decompress(p.read_bytes())) for p in sorted(API_PAGES.glob("*.json.gz"))]


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


def status(code: int, retry_after: str | None = None) -> Fault:
    return Fault("status", code, (("Retry-After", retry_after),) if retry_after is not None else ())


def truncated() -> Fault:
    return Fault("truncated")


def cut() -> Fault:
    return Fault("cut")


def drop() -> Fault:
    return Fault("drop")


def not_a_page() -> Fault:
    return Fault("not_a_page")


@dataclass
class Request:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


def _offset_cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{n}".encode()).decode()


@dataclass
class ReplayServer:
    pages: list[dict[str, Any]] | None = None
    records: list[dict[str, Any]] | None = None
    entity: str = "works"
    end: str = "null"
    requests: list[Request] = field(default_factory=list)
    _faults: dict[str, deque[Fault]] = field(default_factory=dict)
    _chain: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert (self.pages is None) != (self.records is None), "give pages or records"
        assert self.end in ("null", "empty")
        if self.pages is not None:
            cursor = "*"
            for i, body in enumerate(self.pages):
                body = json.loads(json.dumps(body))  # a copy
                last = i == len(self.pages) - 1
                nxt = body["meta"].get("next_cursor") or f"chain-{i + 1}"
                if last and self.end == "null":
                    nxt = None
                body["meta"]["next_cursor"] = nxt
                self._chain[cursor] = json.dumps(body).encode()  # serialised once
                cursor = nxt
            if self.end == "empty" and cursor is not None:
                empty = {"meta": {"count": 0, "next_cursor": None, "per_page": 200}, "results": [], "group_by": []}
                self._chain[cursor] = json.dumps(empty).encode()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- scripting

    def fail(self, cursor: str, *faults: Fault) -> None:
        with self._lock:
            self._faults.setdefault(cursor, deque()).extend(faults)

    @property
    def cursors(self) -> list[str]:
        """The cursors of the scripted chain, in order (pages mode)."""
        return list(self._chain)

    def cursor_at(self, offset: int) -> str:
        """Records mode: the cursor of the page starting at ``offset``."""
        return "*" if offset == 0 else _offset_cursor(offset)

    # -- serving

    def _body(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any] | bytes]:
        if path != f"/{self.entity}":
            return 404, {"error": "Not found", "message": f"no endpoint {path}"}
        cursor = params.get("cursor")
        if cursor is None:
            return 400, {"error": "Invalid query parameters error.", "message": "this replay server needs a cursor"}
        if self.pages is not None:
            body = self._chain.get(cursor)
            if body is None:
                return 400, {"error": "Invalid query parameters error.", "message": f"unknown cursor {cursor!r}"}
            return 200, body
        assert self.records is not None
        per_page = int(params.get("per-page", "25"))
        if cursor == "*":
            off = 0
        else:
            try:
                off = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("offset:"))
            except ValueError:
                return 400, {"error": "Invalid query parameters error.", "message": f"unknown cursor {cursor!r}"}
        chunk = self.records[off: off + per_page]
        end = off + len(chunk)
        if end < len(self.records):
            nxt: str | None = _offset_cursor(end)
        elif self.end == "empty" and chunk:
            nxt = _offset_cursor(end)
        else:
            nxt = None
        meta = {"count": len(self.records), "db_response_time_ms": 1, "page": None, "per_page": per_page, "next_cursor": nxt}
        return 200, {"meta": meta, "results": chunk, "group_by": []}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                with replay._lock:
                    replay.requests.append(Request(parts.path, params, {k.lower(): v for k, v in self.headers.items()}))
                    queue = replay._faults.get(params.get("cursor", ""))
                    fault = queue.popleft() if queue else None
                if fault is not None and fault.kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault is not None and fault.kind == "status":
                    data = json.dumps({"error": f"HTTP {fault.status}", "message": "scripted fault"}).encode()
                    self._send(fault.status, data, extra=fault.headers)
                    return
                code, body = replay._body(parts.path, params)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                if fault is not None and fault.kind == "not_a_page":
                    data = b'{"meta": {"count": 1, "next_cursor": null}, "error": "no results"}'
                if fault is not None and fault.kind == "truncated":
                    data = data[: len(data) // 2]
                if fault is not None and fault.kind == "cut":
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(code, data)

            def _send(self, code: int, data: bytes, extra: tuple[tuple[str, str], ...] = ()) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def start(self) -> ReplayServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="openalex-replay", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def page_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == f"/{self.entity}"]
