"""GPU readers chosen by configuration: the fake backend, and NVML where it is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suanli_agent.nvml import (
    ENV,
    FakeReader,
    InventoryError,
    NvmlReader,
    NvmlUnavailable,
    reader_for,
)


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_fake_backend_reads_an_inventory_file(tmp_path: Path) -> None:
    path = _write(tmp_path, {"hostname": "gpu-07", "gpus": [
        {"name": "NVIDIA H20", "uuid": "GPU-1", "memory_total_mib": 97871},
        {"index": 5, "name": "NVIDIA H20", "uuid": "GPU-2", "memory_total_mib": 97871}]})
    found = reader_for(f"fake:{path}").read()
    assert found.hostname == "gpu-07"
    assert [(g.index, g.uuid) for g in found.gpus] == [(0, "GPU-1"), (5, "GPU-2")]


def test_the_environment_selects_the_backend(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, {"gpus": []})
    monkeypatch.setenv(ENV, f"fake:{path}")
    assert isinstance(reader_for(None), FakeReader)
    monkeypatch.setenv(ENV, "nvml")
    assert isinstance(reader_for(None), NvmlReader)
    assert isinstance(reader_for(f"fake:{path}"), FakeReader)  # the option wins


@pytest.mark.parametrize("backend", ["cuda", "fake:", "FAKE:/x"])
def test_unknown_backend_is_refused(backend: str) -> None:
    with pytest.raises(ValueError, match="unknown NVML backend"):
        reader_for(backend)


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be an object with a list of gpus"),
    ({"gpus": [{"name": "NVIDIA H20"}]}, "gpus[0]: missing uuid"),
    ({"gpus": [{"name": "", "uuid": "x"}]}, "non-empty strings"),
    ({"gpus": [{"name": "a", "uuid": "x", "memory_total_mib": "80GB"}]}, "whole numbers"),
    ({"hostname": "", "gpus": []}, "hostname"),
])
def test_bad_inventory_file_names_the_problem(tmp_path: Path, data: object,
                                              message: str) -> None:
    with pytest.raises(InventoryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        FakeReader(_write(tmp_path, data)).read()


def test_missing_or_broken_inventory_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read"):
        FakeReader(tmp_path / "absent.json").read()
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(InventoryError, match="not valid JSON"):
        FakeReader(broken).read()


def test_nvml_reads_the_gpus_or_explains_why_not() -> None:
    """Without the NVIDIA library (as on the CI machines) the reader must explain, not crash;
    with it, it reads every GPU's name, UUID and memory."""
    import ctypes.util

    if ctypes.util.find_library("nvidia-ml") is None:
        with pytest.raises(NvmlUnavailable, match="NVML is not available on this machine: "
                                                  "install the NVIDIA driver"):
            NvmlReader().read()
        return
    try:
        found = NvmlReader().read()
    except NvmlUnavailable as exc:  # library present, driver not loaded
        assert "NVML" in str(exc)
        return
    assert all(g.name and g.uuid.startswith("GPU-") and g.memory_total_mib > 0
               for g in found.gpus)
