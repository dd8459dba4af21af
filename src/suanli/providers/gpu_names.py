"""Which catalogue model a GPU's reported name is (pure).

NVML reports marketing names such as ``NVIDIA H100 80GB HBM3`` or
``NVIDIA A800-SXM4-80GB``; Ascend, Cambricon and other domestic parts report through
their own tools (``npu-smi``, ``cnmon``) with names such as ``Ascend 910B3``. Each rule
is a regular expression searched case-insensitively in the name; the first that matches
names the model. A name no rule matches is unknown, which an attestation treats as a
mismatch: the platform never guesses what hardware it is looking at.
"""

from __future__ import annotations

import re

# (pattern, catalogue model id), most specific first. \b keeps H20 from matching H200
# and L20 from matching L200.
RULES: tuple[tuple[str, str], ...] = (
    (r"\bH100\b.*\b(SXM|HBM3)\b|\bH100 SXM", "h100-sxm"),
    (r"\bH800\b(?!.*PCIe)", "h800-sxm"),  # the PCIe card has lower figures
    (r"\bH20\b", "h20"),
    (r"\bA100\b.*\b80\s?GB\b", "a100-sxm-80g"),
    (r"\bA800\b.*\b80\s?GB\b", "a800-sxm-80g"),
    (r"\bL40S\b", "l40s"),
    (r"\bL20\b", "l20"),
    (r"\bRTX 4090\b", "rtx-4090"),
    (r"\bAscend\s*910\s*B\d*\b", "ascend-910b"),
    (r"\bAscend\s*910\s*C\d*\b", "ascend-910c"),
    (r"\bAscend\s*910\b", "ascend-910"),
    (r"\bMLU\s*370-X8\b", "mlu370-x8"),
    (r"\bK100[_ ]AI\b", "hygon-k100-ai"),
    (r"\bBR100\b", "biren-br100"),
    (r"\bMetaX\b.*\bC500\b|\bMXC500\b", "metax-c500"),
    (r"\bS4000\b", "mthreads-s4000"),
)
_COMPILED = tuple((re.compile(pattern, re.IGNORECASE), model) for pattern, model in RULES)


def model_for_gpu_name(name: str) -> str | None:
    """The catalogue model a reported GPU name denotes, or None when no rule knows it.

    "NVIDIA H100 80GB HBM3" -> "h100-sxm"; "NVIDIA A800-SXM4-80GB" -> "a800-sxm-80g";
    "NVIDIA H200" -> None (not in the catalogue).
    """
    for pattern, model in _COMPILED:
        if pattern.search(name):
            return model
    return None
