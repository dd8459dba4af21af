"""`scripts/gpu-check.sh` with the fake NVML backend (CI has no GPU): a cluster claiming what
the node reports matches; one claiming another model and count is suspended; an unclaimed
node suspends the first cluster and shows its offer as suspended."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # minutes: many fresh `suanli` processes
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gpu_check_with_the_fake_backend(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"hostname": "gpu-01", "gpus": [
        {"index": i, "name": "NVIDIA H20", "uuid": f"GPU-check-{i}", "memory_total_mib": 97871}
        for i in range(8)]}), encoding="utf-8")
    env = {**os.environ, "SUANLI_NVML_BACKEND": f"fake:{inventory}",
           "SUANLI": str(BIN / "suanli"), "SUANLI_AGENT": str(BIN / "suanli-agent"),
           "GPU_CHECK_PORT": str(_free_port())}
    env.pop("SUANLI_DATABASE_URL", None)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu-check.sh")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "catalogue model h20" in done.stdout
    assert "FAIL" not in done.stdout
    assert done.stdout.count("ok   ") == 9
    assert done.stdout.strip().endswith("gpu-check: all expectations met")


def test_gpu_check_fails_on_a_name_no_model_lists(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"gpus": [{"name": "Tesla T4", "uuid": "GPU-t4"}]}),
                         encoding="utf-8")
    env = {**os.environ, "SUANLI_NVML_BACKEND": f"fake:{inventory}",
           "SUANLI": str(BIN / "suanli"), "SUANLI_AGENT": str(BIN / "suanli-agent"),
           "GPU_CHECK_PORT": str(_free_port())}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu-check.sh")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    assert "no catalogue model lists the name 'Tesla T4'" in done.stdout
