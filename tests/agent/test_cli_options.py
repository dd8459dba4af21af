"""`suanli agent` refuses bad local input with exit 2 and names the option (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from suanli.agent.cli import agent_app
from suanli.providers.attestation import new_key_pair

runner = CliRunner()


def _attest(*extra: str) -> tuple[int, str]:
    result = runner.invoke(agent_app, ["attest", "--provider-token", "t", "--cluster", "1",
                                       "--platform", "http://127.0.0.1:9", *extra])
    return result.exit_code, result.stderr


def test_missing_key_file(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"gpus": []}), encoding="utf-8")
    code, err = _attest("--key", str(tmp_path / "absent.key"), "--nvml-backend",
                        f"fake:{inventory}")
    assert code == 2 and err.startswith("error: --key: cannot read")


def test_a_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    key = tmp_path / "bad.key"
    key.write_text("hello", encoding="utf-8")
    code, err = _attest("--key", str(key), "--nvml-backend", "fake:/nonexistent.json")
    assert code == 2 and "is not a PEM private key" in err


def test_an_unreadable_inventory(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    key.write_bytes(new_key_pair()[0])
    code, err = _attest("--key", str(key), "--nvml-backend", f"fake:{tmp_path / 'none.json'}")
    assert code == 2 and err.startswith("error: --nvml-backend: ") and "cannot read" in err


def test_an_unreachable_platform(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    key.write_bytes(new_key_pair()[0])
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"gpus": [{"name": "NVIDIA H20", "uuid": "GPU-1"}]}),
                         encoding="utf-8")
    code, err = _attest("--key", str(key), "--nvml-backend", f"fake:{inventory}")
    assert code == 3 and err.startswith("error: --platform: cannot reach the platform")


def test_inventory_prints_what_the_node_reports(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"hostname": "n1", "gpus": [
        {"name": "NVIDIA H20", "uuid": "GPU-1", "memory_total_mib": 97871}]}), encoding="utf-8")
    result = runner.invoke(agent_app, ["inventory", "--nvml-backend", f"fake:{inventory}"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["gpus"][0] == {
        "index": 0, "name": "NVIDIA H20", "uuid": "GPU-1", "memory_total_mib": 97871}
