"""A real HTTP server on 127.0.0.1 for the Prometheus client's tests (canned answers per query; httpie-style).

Not a mock of `requests`: meshctl talks HTTP to it over a socket. Each answer is chosen by the `query` parameter
(GET or POST form), else by path; a route may delay its answer (for timeouts) or close the connection.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | dict = b""
    content_type: str = "application/json"
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


def vector(*samples: tuple[dict[str, str], str], warnings: list[str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": labels, "value": [1700000000.0, value]} for labels, value in samples],
        },
    }
    if warnings:
        doc["warnings"] = warnings
    return doc


class PromStub:
    def __init__(self) -> None:
        self.by_query: dict[str, Answer] = {}
        self.by_path: dict[str, Answer] = {}
        self.default = Answer(200, vector())
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, params: dict[str, list[str]]) -> None:
                path = urlsplit(self.path).path
                with stub._lock:
                    stub.requests.append(
                        {"method": self.command, "path": path, "params": params, "headers": dict(self.headers)}
                    )
                query = (params.get("query") or [""])[0]
                answer = stub.by_query.get(query) or stub.by_path.get(path) or stub.default
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.payload()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                self._answer(parse_qs(urlsplit(self.path).query))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                self._answer(form | parse_qs(urlsplit(self.path).query))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
