"""Reading the machine's GPUs: through NVML, or from a JSON file for tests and demos.

The backend is chosen by configuration, never by patching: ``--nvml-backend`` or the
environment variable ``SUANLI_NVML_BACKEND``, either ``nvml`` (the default: the NVIDIA
driver's library through ``pynvml`` from nvidia-ml-py) or ``fake:/path/inventory.json``.
A fake inventory file holds ``{"hostname": "node-01", "gpus": [{"name": "NVIDIA H20",
"uuid": "GPU-...", "memory_total_mib": 97871}, ...]}``; ``hostname`` and each GPU's
``index`` may be left out (the machine's host name and the position are used).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ENV = "SUANLI_NVML_BACKEND"
MIB = 1024 * 1024
NO_NVML = ("NVML is not available on this machine: install the NVIDIA driver (nvidia-smi "
           "must work) and run the agent on the GPU node, or set SUANLI_NVML_BACKEND="
           "fake:/path/inventory.json to attest a recorded inventory")


class NvmlUnavailable(RuntimeError):
    """No NVML here (no driver, no library, no permission); the message says what to do."""


class InventoryError(ValueError):
    """A fake inventory file that cannot be used; the message names the file and problem."""


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    uuid: str
    memory_total_mib: int

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "uuid": self.uuid,
                "memory_total_mib": self.memory_total_mib}


@dataclass(frozen=True)
class Inventory:
    """The GPUs of one machine; ``hostname`` is None when the reader does not know it."""

    hostname: str | None
    gpus: tuple[GpuInfo, ...]


class GpuReader(Protocol):
    def read(self) -> Inventory: ...


def _text(value: str | bytes) -> str:
    # Older pynvml releases return bytes, newer ones str.
    return value.decode() if isinstance(value, bytes) else value


class NvmlReader:
    """The GPUs as the NVIDIA driver reports them: name, UUID, total memory."""

    def read(self) -> Inventory:
        import pynvml

        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            raise NvmlUnavailable(f"{NO_NVML} ({exc})") from None
        try:
            gpus = []
            for index in range(pynvml.nvmlDeviceGetCount()):
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
                memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
                gpus.append(GpuInfo(index, _text(pynvml.nvmlDeviceGetName(handle)),
                                    _text(pynvml.nvmlDeviceGetUUID(handle)),
                                    int(memory.total) // MIB))
        except pynvml.NVMLError as exc:
            raise NvmlUnavailable(f"NVML could not read the GPUs: {exc}") from None
        finally:
            pynvml.nvmlShutdown()
        return Inventory(None, tuple(gpus))


def _gpu(path: Path, position: int, item: object) -> GpuInfo:
    where = f"{path}: gpus[{position}]"
    if not isinstance(item, dict):
        raise InventoryError(f"{where}: must be an object")
    try:
        name, uuid = item["name"], item["uuid"]
        memory = item.get("memory_total_mib", 0)
        index = item.get("index", position)
    except KeyError as exc:
        raise InventoryError(f"{where}: missing {exc.args[0]}") from None
    if not isinstance(name, str) or not isinstance(uuid, str) or not name or not uuid:
        raise InventoryError(f"{where}: name and uuid must be non-empty strings")
    if isinstance(memory, bool) or not isinstance(memory, int) or not isinstance(index, int):
        raise InventoryError(f"{where}: memory_total_mib and index must be whole numbers")
    return GpuInfo(index, name, uuid, memory)


class FakeReader:
    """An inventory recorded in a JSON file, for tests, demos and rehearsals."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Inventory:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InventoryError(f"{self.path}: cannot read: {exc.strerror}") from None
        except ValueError as exc:
            raise InventoryError(f"{self.path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("gpus"), list):
            raise InventoryError(f"{self.path}: must be an object with a list of gpus")
        hostname = data.get("hostname")
        if hostname is not None and (not isinstance(hostname, str) or not hostname):
            raise InventoryError(f"{self.path}: hostname must be a non-empty string")
        gpus = tuple(_gpu(self.path, i, item) for i, item in enumerate(data["gpus"]))
        return Inventory(hostname, gpus)


def reader_for(backend: str | None = None) -> GpuReader:
    """The reader the configuration names: ``backend``, else $SUANLI_NVML_BACKEND, else NVML.

    Raises ValueError for a backend that is neither ``nvml`` nor ``fake:PATH``.
    """
    choice = backend or os.environ.get(ENV) or "nvml"
    if choice == "nvml":
        return NvmlReader()
    if choice.startswith("fake:") and len(choice) > len("fake:"):
        return FakeReader(Path(choice.removeprefix("fake:")))
    raise ValueError(f"unknown NVML backend {choice!r}: use nvml or fake:/path/inventory.json")
