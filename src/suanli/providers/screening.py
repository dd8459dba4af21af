"""Whether a cluster may list, and the human reasons it waits (pure).

A cluster becomes listable when (1) its accelerator's export-control class allows it
and (2) its hardware is attested. A foreign part classified 3A090.a or .b, or one whose
class is undetermined, needs provenance evidence (an export licence, a purchase record
dated before the control date) and an auditor's approval first. Domestic parts need no
provenance: no export licence applies to a chip made and sold in China; their class is
shown but does not hold them back.

Order of precedence: rejected > suspended (a compliance hold or an open attestation
mismatch) > awaiting decision (provenance) > pending (attestation) > listable. Every
reason is listed, not only the one that decides the status, so a provider sees at once
everything still missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pending", "awaiting_decision", "listable", "suspended", "rejected"]
CONTROLLED = frozenset({"3A090.a", "3A090.b", "undetermined"})
# Export controls of 2023-10-17 took effect on this date; purchases before it need no licence.
CONTROL_DATE = "2023-11-17"

# English texts of the reasons; the page catalogues hold the same under "reason.<key>".
TEMPLATES: dict[str, str] = {
    "rejected": "rejected by the auditor: {reason}",
    "hold": "compliance hold: {reason}",
    "mismatch_model": "attestation mismatch: claims {claims}, reports {reports}",
    "mismatch_unknown": "attestation mismatch: claims {claims}, reports a part not in the "
    "catalogue ({name})",
    "mismatch_count": "attestation mismatch: claims {claims} GPUs ({nodes} x {per_node} per "
    "node), node {node} reports {reports} (at most {at_most} in all)",
    "mismatch_nodes": "attestation mismatch: claims {claims} nodes, node {node} would be "
    "node {count}",
    "mismatch_shared_gpu": "attestation mismatch: GPU {uuid} is already attested for cluster "
    "{cluster}",
    "needs_provenance": "{eccn} part ({summary}): needs provenance documents (none uploaded)",
    "provenance_uploaded": "{eccn} part ({summary}): {documents} provenance document(s) "
    "uploaded",
    "awaiting_decision": "awaiting auditor decision",
    "no_key": "no attestation key registered",
    "not_attested": "not attested yet",
    "partly_attested": "attested {nodes} of {of_nodes} nodes ({gpus} of {of_gpus} GPUs)",
}


@dataclass(frozen=True)
class Reason:
    """Why a cluster waits: a message key with its values, and the English text."""

    key: str
    params: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return TEMPLATES[self.key].format(**self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params), "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data["key"]), dict(data.get("params") or {}))


@dataclass(frozen=True)
class Facts:
    """What is known about a cluster when it is screened."""

    eccn: str
    eccn_reason: str
    domestic: bool
    nodes: int
    gpus_per_node: int
    has_key: bool = False
    provenance_documents: int = 0
    provenance_approved: bool = False
    rejected_reason: str | None = None
    holds: tuple[str, ...] = ()
    mismatches: tuple[Reason, ...] = ()
    attested_nodes: int = 0
    attested_gpus: int = 0


@dataclass(frozen=True)
class Screening:
    status: Status
    reasons: tuple[Reason, ...]

    @property
    def listable(self) -> bool:
        return self.status == "listable"


def needs_provenance(eccn: str, domestic: bool) -> bool:
    """Whether a part must show provenance and be approved by an auditor before listing."""
    return eccn in CONTROLLED and not domestic


def eccn_label(eccn: str) -> str:
    return "ECCN-undetermined" if eccn == "undetermined" else eccn


def short_reason(eccn_reason: str) -> str:
    """The deciding comparison of a classification, without its basis or die-area bounds.

    "TPP 15,832 >= 4,800 (BF16 989.5 TFLOPS x 16)" -> "TPP 15,832 >= 4,800".
    """
    head = eccn_reason.split(";", 1)[0]
    return head.rsplit(" (", 1)[0] if head.endswith(")") else head


def _provenance_reasons(facts: Facts) -> list[Reason]:
    if not needs_provenance(facts.eccn, facts.domestic) or facts.provenance_approved:
        return []
    part = {"eccn": eccn_label(facts.eccn), "summary": short_reason(facts.eccn_reason)}
    if facts.provenance_documents == 0:
        first = Reason("needs_provenance", part)
    else:
        first = Reason("provenance_uploaded", {**part, "documents": facts.provenance_documents})
    return [first, Reason("awaiting_decision")]


def _attestation_reasons(facts: Facts) -> list[Reason]:
    reasons = [] if facts.has_key else [Reason("no_key")]
    if facts.attested_nodes == 0:
        reasons.append(Reason("not_attested"))
    elif facts.attested_gpus < facts.nodes * facts.gpus_per_node:
        reasons.append(Reason("partly_attested", {
            "nodes": facts.attested_nodes, "of_nodes": facts.nodes,
            "gpus": facts.attested_gpus, "of_gpus": facts.nodes * facts.gpus_per_node}))
    return reasons


def screen(facts: Facts) -> Screening:
    """The cluster's status and every reason it is not listable (none when it is)."""
    if facts.rejected_reason is not None:
        return Screening("rejected", (Reason("rejected", {"reason": facts.rejected_reason}),))
    suspended = [Reason("hold", {"reason": r}) for r in facts.holds] + list(facts.mismatches)
    provenance = _provenance_reasons(facts)
    attestation = _attestation_reasons(facts)
    reasons = tuple(suspended + provenance + attestation)
    status: Status
    if suspended:
        status = "suspended"
    elif provenance:
        status = "awaiting_decision"
    elif attestation:
        status = "pending"
    else:
        status = "listable"
    return Screening(status, reasons)
