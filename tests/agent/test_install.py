"""The agent is its own distribution: installed alone into a clean virtual environment it
brings none of the platform's packages, and its command works there."""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("suanli", "fastapi", "sqlalchemy", "highspy", "psycopg", "uvicorn", "alembic",
               "pydantic", "typer")


@pytest.mark.slow
def test_pip_install_agent_into_a_clean_venv(tmp_path: Path) -> None:
    env_dir = tmp_path / "node"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", str(ROOT / "agent")],
                             capture_output=True, text=True, timeout=600, check=False)
    assert install.returncode == 0, install.stderr
    probe = subprocess.run([str(python), "-c", (
        "import importlib.util, json, sys; print(json.dumps({n: importlib.util.find_spec(n) "
        f"is not None for n in {(*SERVER_ONLY, 'suanli_agent', 'pynvml', 'httpx')!r}}}))")],
        capture_output=True, text=True, timeout=60, check=True)
    found = json.loads(probe.stdout)
    assert {name for name in SERVER_ONLY if found[name]} == set()
    assert found["suanli_agent"] and found["pynvml"] and found["httpx"]

    agent = env_dir / "bin" / "suanli-agent"
    key = tmp_path / "cluster.key"
    made = subprocess.run([str(agent), "keygen", "--out", str(key)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert made.returncode == 0 and len(made.stdout.strip()) == 44  # base64 of 32 bytes
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"hostname": "gpu-01", "gpus": [
        {"name": "NVIDIA H20", "uuid": "GPU-1", "memory_total_mib": 97871}]}), encoding="utf-8")
    listed = subprocess.run([str(agent), "inventory", "--nvml-backend", f"fake:{inventory}"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["gpus"][0]["uuid"] == "GPU-1"
    as_module = subprocess.run([str(python), "-m", "suanli_agent", "--version"],
                               capture_output=True, text=True, timeout=60, check=False)
    assert as_module.stdout.strip() == "suanli-agent 0.1.0"
