"""Whether a granted cluster is still listed on the platform (pure).

Listed means: the cluster may list (screened and attested, not suspended or rejected), it
has an offer on the market that is live now (not withdrawn, its window open), and at least
as many GPUs attested as when the grant was approved. Capacity that fails any of these
before the listing period ends has left early, and the grant is clawed back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListingFacts:
    cluster_status: str  # providers' ClusterStatus value
    live_offers: int  # offers of the cluster live at the moment checked
    gpus_attested: int
    gpus_granted: int | None  # attested at approval; None before approval


@dataclass(frozen=True)
class Left:
    key: str  # suspended | not_offered | gpus_reduced
    en: str
    zh: str


def problem(facts: ListingFacts) -> Left | None:
    """Why the capacity is not (or no longer) listed; None while it is."""
    if facts.cluster_status != "listable":
        return Left("not_listable",
                    f"the cluster may not list (its status is {facts.cluster_status})",
                    f"集群当前不可上架（状态：{facts.cluster_status}）")
    if facts.live_offers <= 0:
        return Left("not_offered", "the cluster has no live offer on the market (withdrawn "
                    "or ended)", "集群在市场上没有有效报价（已撤下或已到期）")
    if facts.gpus_granted is not None and facts.gpus_attested < facts.gpus_granted:
        return Left("gpus_reduced",
                    f"{facts.gpus_attested} GPUs attested, fewer than the "
                    f"{facts.gpus_granted} when the grant was approved",
                    f"已证明 {facts.gpus_attested} 张 GPU，少于批准时的 "
                    f"{facts.gpus_granted} 张")
    return None
