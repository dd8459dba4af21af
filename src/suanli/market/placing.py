"""Which free GPUs serve a new contract (pure: no database).

Deterministic: the same free GPUs always give the same choice. A contract that fits on
one node goes to the node with the fewest free GPUs that still holds it all (best fit, so
that whole nodes stay free for large contracts); a larger one takes the nodes with the
most free GPUs first (fewest nodes). Ties go to the lower hostname, and a node's GPUs are
taken by index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class FreeGpu:
    hostname: str
    index: int
    uuid: str


def choose(free: Iterable[FreeGpu], wanted: int) -> list[FreeGpu]:
    """Up to `wanted` of the free GPUs (fewer when fewer are free)."""
    nodes: dict[str, list[FreeGpu]] = defaultdict(list)
    for gpu in sorted(set(free)):
        nodes[gpu.hostname].append(gpu)
    fitting = [h for h, gpus in nodes.items() if len(gpus) >= wanted]
    if fitting:
        best = min(fitting, key=lambda h: (len(nodes[h]), h))
        return nodes[best][:wanted]
    chosen: list[FreeGpu] = []
    for host in sorted(nodes, key=lambda h: (-len(nodes[h]), h)):
        chosen.extend(nodes[host][:wanted - len(chosen)])
        if len(chosen) == wanted:
            break
    return chosen
