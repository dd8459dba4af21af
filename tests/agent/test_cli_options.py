"""`suanli-agent` refuses bad local input with exit 2 and one line naming the option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suanli_agent.cli import main
from suanli_agent.signing import new_key_pair


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _attest(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code, _, err = _run(capsys, "attest", "--provider-token", "t", "--cluster", "1",
                        "--platform", "http://127.0.0.1:9", *extra)
    return code, err


def test_missing_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"gpus": []}), encoding="utf-8")
    code, err = _attest(capsys, "--key", str(tmp_path / "absent.key"), "--nvml-backend",
                        f"fake:{inventory}")
    assert code == 2 and err.startswith("error: --key: cannot read")


def test_a_key_file_that_is_not_a_key(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "bad.key"
    key.write_text("hello", encoding="utf-8")
    code, err = _attest(capsys, "--key", str(key), "--nvml-backend", "fake:/nonexistent.json")
    assert code == 2 and "is not a PEM private key" in err


def test_an_unreadable_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.key"
    key.write_bytes(new_key_pair()[0])
    code, err = _attest(capsys, "--key", str(key), "--nvml-backend",
                        f"fake:{tmp_path / 'none.json'}")
    assert code == 2 and err.startswith("error: --nvml-backend: ") and "cannot read" in err


def test_an_unreachable_platform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.key"
    key.write_bytes(new_key_pair()[0])
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"gpus": [{"name": "NVIDIA H20", "uuid": "GPU-1"}]}),
                         encoding="utf-8")
    code, err = _attest(capsys, "--key", str(key), "--nvml-backend", f"fake:{inventory}")
    assert code == 3 and err.startswith("error: --platform: cannot reach the platform")


def test_inventory_prints_what_the_node_reports(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"hostname": "n1", "gpus": [
        {"name": "NVIDIA H20", "uuid": "GPU-1", "memory_total_mib": 97871}]}), encoding="utf-8")
    code, out, _ = _run(capsys, "inventory", "--nvml-backend", f"fake:{inventory}")
    assert code == 0
    assert json.loads(out)["gpus"][0] == {
        "index": 0, "name": "NVIDIA H20", "uuid": "GPU-1", "memory_total_mib": 97871}


@pytest.mark.parametrize(("args", "start"), [
    (["attest", "--cluster", "0", "--platform", "u", "--key", "k"],
     "error: suanli-agent attest: argument --cluster: invalid whole number >= 1 value: '0'"),
    (["collect", "--platform", "u", "--cluster", "1"],
     "error: suanli-agent collect: the following arguments are required: --exporter"),
    (["collect", "--platform", "u", "--cluster", "1", "--exporter", "e", "--interval", "x"],
     "error: suanli-agent collect: argument --interval: invalid whole number"),
    (["frobnicate"], "error: suanli-agent: argument COMMAND: invalid choice: 'frobnicate'"),
    (["inventory", "--nvml-backend", "cuda"],
     "error: --nvml-backend: unknown NVML backend 'cuda'"),
    (["collect", "--platform", "u", "--cluster", "1", "--exporter", "e"],
     "error: --provider-token: give your API token"),
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], start: str,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUANLI_PROVIDER_TOKEN", raising=False)
    code, _, err = _run(capsys, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(start), err
