"""Contract placement: which GPUs (and so which nodes) serve a contract, and when.

The placement is recorded when the contract starts (`place`, from `advance_contracts`, or
the first time usage needs it): free attested GPUs of the contract's cluster, not placed on
an overlapping contract, chosen deterministically (`placing.choose`). The provider may set
or change it (`set_placement`): the new GPUs serve the contract from a moment on (default
now, or the start when it has not begun); what was placed before that moment stays, so
usage that arrives late is still attributed as it was delivered.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import as_utc, utcnow
from suanli.market import repository
from suanli.market.models import Contract, ContractGpu, ContractState
from suanli.market.placing import FreeGpu, choose
from suanli.providers import repository as providers_repo

PLATFORM = "platform"


def _rows(contract: Contract, gpus: Sequence[FreeGpu], since: datetime, placed_by: str
          ) -> list[ContractGpu]:
    return [ContractGpu(contract_id=contract.id, gpu_uuid=g.uuid, hostname=g.hostname,
                        since=since, until=contract.end_at, placed_by=placed_by) for g in gpus]


def _snapshot(rows: Sequence[ContractGpu]) -> list[dict[str, str]]:
    return [{"gpu_uuid": r.gpu_uuid, "hostname": r.hostname, "since": r.since.isoformat(),
             "until": r.until.isoformat()} for r in rows]


def place(session: Session, contract: Contract) -> list[ContractGpu]:
    """The contract's placement, chosen now from the free attested GPUs if none was
    recorded yet (none for a cancelled contract)."""
    found = repository.placement(session, [contract.id]).get(contract.id)
    if found or contract.state == ContractState.CANCELLED:
        return found or []
    cluster_id = contract.offer.cluster_id
    repository.lock_cluster(session, cluster_id)
    found = repository.placement(session, [contract.id]).get(contract.id)
    if found:
        return found  # placed by a concurrent transaction while we waited for the lock
    attested = providers_repo.attested_gpus(session, cluster_id)
    taken = {r.gpu_uuid for r in repository.placed_elsewhere(
        session, [g.uuid for g in attested], contract.start_at, contract.end_at, contract.id)}
    free = [FreeGpu(g.hostname, g.gpu_index, g.uuid) for g in attested if g.uuid not in taken]
    rows = _rows(contract, choose(free, contract.gpus), contract.start_at, PLATFORM)
    if not rows:
        return []
    session.add_all(rows)
    session.flush()
    audit.record(session, action="contract.placement", object_type="contract",
                 object_id=contract.id, after={"placement": _snapshot(rows)},
                 organisation_id=contract.provider_org_id)
    return rows


def ensure_placed(session: Session, contracts: Collection[Contract]) -> None:
    """Record the placement of every contract that has none yet."""
    placed = repository.placement(session, [c.id for c in contracts])
    for contract in sorted(contracts, key=lambda c: c.id):
        if contract.id not in placed:
            place(session, contract)


def placement_of(session: Session, contract_ids: Collection[int]
                 ) -> dict[int, list[ContractGpu]]:
    return repository.placement(session, contract_ids)


def set_placement(session: Session, *, contract_id: int, org_ids: Collection[int],
                  gpu_uuids: Sequence[str], effective_from: datetime | None = None,
                  placed_by: str, now: datetime | None = None) -> Contract:
    """The provider places these GPUs on its contract from `effective_from` (default: now,
    or the start if later) to the contract's end; earlier placement stays as it was."""
    contract = repository.contract(session, contract_id)
    if contract is None or contract.provider_org_id not in org_ids:
        raise NotFound(f"no contract {contract_id} of yours", field="contract_id")
    if contract.state == ContractState.CANCELLED:
        raise Conflict(f"contract {contract.id} was cancelled", field="state")
    at = as_utc(effective_from) if effective_from else max(now or utcnow(), contract.start_at)
    if not contract.start_at <= at < contract.end_at:
        raise ValidationFailed(f"must lie within the contract's window "
                               f"{contract.start_at.isoformat()} - {contract.end_at.isoformat()}",
                               field="from")
    if len(gpu_uuids) > contract.gpus:
        raise ValidationFailed(f"the contract has {contract.gpus} GPUs; {len(gpu_uuids)} given",
                               field="gpu_uuids")
    place(session, contract)  # the placement it started with covers the time before `at`
    cluster_id = contract.offer.cluster_id
    repository.lock_cluster(session, cluster_id)
    attested = {g.uuid: g for g in providers_repo.attested_gpus(session, cluster_id)}
    unknown = [u for u in gpu_uuids if u not in attested]
    if unknown:
        raise ValidationFailed(f"{unknown[0]} is not an attested GPU of cluster {cluster_id}",
                               field="gpu_uuids")
    clash = repository.placed_elsewhere(session, gpu_uuids, at, contract.end_at, contract.id)
    if clash:
        raise Conflict(f"{clash[0].gpu_uuid} is placed on contract {clash[0].contract_id} "
                       f"until {as_utc(clash[0].until).isoformat()}", field="gpu_uuids")
    before = _snapshot(repository.placement(session, [contract.id]).get(contract.id, []))
    repository.end_placement(session, contract.id, at)
    chosen = sorted(FreeGpu(attested[u].hostname, attested[u].gpu_index, u) for u in gpu_uuids)
    session.add_all(_rows(contract, chosen, at, placed_by))
    session.flush()
    session.expire(contract)
    after = _snapshot(repository.placement(session, [contract.id]).get(contract.id, []))
    audit.record(session, action="contract.placement", object_type="contract",
                 object_id=contract.id, before={"placement": before},
                 after={"placement": after, "from": at.isoformat()},
                 organisation_id=contract.provider_org_id)
    return contract
