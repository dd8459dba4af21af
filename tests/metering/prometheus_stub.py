"""A local HTTP server that answers `/api/v1/query_range` as Prometheus does, from series
held in memory (a real socket: the client under test speaks HTTP to it)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Series:
    labels: dict[str, str]
    present: list[tuple[int, int]]  # [from, to] seconds when the exporter had a value
    value: float = 80.0


@dataclass
class Stub:
    series: list[Series]
    queries: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.queries.append(params)
        if params.get("query") != "DCGM_FI_DEV_GPU_UTIL":
            return 400, {"status": "error", "errorType": "bad_data",
                         "error": f"1:1: parse error: unexpected {params.get('query')!r}"}
        try:
            start, end = int(float(params["start"])), int(float(params["end"]))
            step = int(params["step"].removesuffix("s"))
        except (KeyError, ValueError):
            return 400, {"status": "error", "errorType": "bad_data", "error": "bad range"}
        if (end - start) // step + 1 > 11_000:
            return 400, {"status": "error", "errorType": "bad_data", "error":
                         "exceeded maximum resolution of 11,000 points per timeseries"}
        result = []
        for s in self.series:
            values = [[t, f"{s.value:g}"] for t in range(start, end + 1, step)
                      if any(a <= t <= b for a, b in s.present)]
            if values:
                result.append({"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", **s.labels},
                               "values": values})
        return 200, {"status": "success", "data": {"resultType": "matrix", "result": result}}


@contextmanager
def serving(stub: Stub) -> Iterator[Stub]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            if parsed.path != "/api/v1/query_range":
                self.send_error(404)
                return
            params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            status, doc = stub.answer(params)
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
