"""`suanli-agent run`: the service attests on a schedule and collects; SIGTERM ends it
cleanly with its state saved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from suanli_agent.signing import new_key_pair
from tests.agent.conftest import Platform as LivePlatform
from tests.agent.stubs import Exporter, Platform, scrape, serving
from tests.agent.test_cli import cluster, inventory, keygen, state

AGENT = str(Path(sys.executable).parent / "suanli-agent")
A = "GPU-node-01-0"


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.key"
    path.write_bytes(new_key_pair()[0])
    return path


def _env(backend: str, token: str | None = None) -> dict[str, str]:
    return {**os.environ, "SUANLI_NVML_BACKEND": backend,
            "SUANLI_PROVIDER_TOKEN": token or "sl_run"}


def test_run_attests_against_the_platform(platform: LivePlatform, tmp_path: Path) -> None:
    key, public = keygen(tmp_path, "svc")
    cluster_id = cluster(platform, model="h20", nodes=1, per_node=8, public=public)
    done = subprocess.run([AGENT, "run", "--platform", platform.url, "--cluster",
                           str(cluster_id), "--key", str(key), "--polls", "1"],
                          env=_env(inventory(tmp_path, "NVIDIA H20", 8), platform.token),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "match; cluster" in done.stdout
    assert state(platform, cluster_id)[0] == "listable"


def test_run_attests_then_collects_each_interval(tmp_path: Path) -> None:
    exporter = Exporter([scrape({A: 60}), scrape({A: 70}), scrape({A: 0})])
    stub = Platform()
    with serving(exporter=exporter) as exporter_url, serving(platform=stub) as platform_url:
        done = subprocess.run([AGENT, "run", "--platform", platform_url, "--cluster", "12",
                               "--key", str(_key(tmp_path)), "--exporter", exporter_url,
                               "--interval", "1", "--polls", "3", "--state",
                               str(tmp_path / "s.json")],
                              env=_env(inventory(tmp_path, "NVIDIA H20", 1)),
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    paths = [r["path"] for r in stub.requests]
    assert paths == ["/api/v1/providers/clusters/12/attestations", "/api/v1/metering/usage"]
    assert stub.requests[1]["body"]["records"][0]["gpu_uuids"] == [A]


def test_sigterm_stops_the_service_with_its_state_saved(tmp_path: Path) -> None:
    exporter = Exporter([scrape({A: 60})])
    stub = Platform()
    saved = tmp_path / "s.json"
    with serving(exporter=exporter) as exporter_url, serving(platform=stub) as platform_url:
        service = subprocess.Popen([AGENT, "run", "--platform", platform_url, "--cluster", "12",
                                    "--key", str(_key(tmp_path)), "--exporter", exporter_url,
                                    "--interval", "1", "--state", str(saved)],
                                   env=_env(inventory(tmp_path, "NVIDIA H20", 1)),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while exporter.served < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert json.loads(saved.read_text())["open"][A]["start"] < json.loads(
        saved.read_text())["open"][A]["last"]
