"""Real HTTP servers for the agent's tests: dcgm-exporter serving scrapes in turn, and a
platform stub that records what it is sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def scrape(samples: dict[str, float], metric: str = "DCGM_FI_DEV_GPU_UTIL",
           host: str = "node-01") -> str:
    """dcgm-exporter text: one sample per GPU UUID, no timestamps."""
    lines = [f"# HELP {metric} GPU utilization (in %).", f"# TYPE {metric} gauge"]
    for index, (uuid, value) in enumerate(samples.items()):
        lines.append(f'{metric}{{gpu="{index}",UUID="{uuid}",pci_bus_id="00000000:0{index}:00.0",'
                     f'device="nvidia{index}",modelName="NVIDIA H20",Hostname="{host}"}} {value}')
    lines.append('DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-x"} 1024')
    return "\n".join(lines) + "\n"


@dataclass
class Exporter:
    """Serves the given scrapes one per request; the last one again when they run out."""

    scrapes: list[str]
    url: str = ""
    served: int = 0

    def next(self) -> str:
        text = self.scrapes[min(self.served, len(self.scrapes) - 1)]
        self.served += 1
        return text


@dataclass
class Platform:
    """Answers POST /api/v1/metering/usage with the next status (201 when none is left)
    and accepts every attestation as a match."""

    statuses: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def _handler(exporter: Exporter | None, platform: Platform | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            assert exporter is not None
            self._send(200, exporter.next().encode(), "text/plain; version=0.0.4")

        def do_POST(self) -> None:
            assert platform is not None
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            platform.requests.append({"path": self.path, "body": body,
                                      "key": self.headers.get("Idempotency-Key"),
                                      "auth": self.headers.get("Authorization")})
            if self.path.endswith("/attestations"):
                payload = body["payload"]
                answer = {"id": len(platform.requests), "hostname": payload["hostname"],
                          "gpu_count": len(payload["gpus"]), "verdict": "match",
                          "cluster_status": "listable", "problems": [], "reasons": []}
                self._send(201, json.dumps(answer).encode(), "application/json")
                return
            status = platform.statuses.pop(0) if platform.statuses else 201
            if status == 201:
                answer = {"batch_id": len(platform.requests), "accepted": len(body["records"]),
                          "duplicates": 0, "flagged": 0}
            else:
                answer = {"status": status, "field": "records[0].cluster_id",
                          "detail": "refused by the stub"}
            self._send(status, json.dumps(answer).encode(), "application/json")

    return Handler


@contextmanager
def serving(exporter: Exporter | None = None, platform: Platform | None = None
            ) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(exporter, platform))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
