"""Turning market rows into API shapes, and the caller's scopes (shared by api and pages)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.kit.money import format_cny
from suanli.market import offers_service
from suanli.market import permissions as perms
from suanli.market.capacity import HOUR
from suanli.market.matching import Verdict, rate_text, split_cost
from suanli.market.models import Contract, Offer, OfferStatus, Order, Round
from suanli.market.orders_service import Checked, PreviewResult
from suanli.market.schemas import (
    ContractRead,
    OfferHit,
    OfferRead,
    OrderRead,
    PlacedGpu,
    Preview,
    PreviewOffer,
    PreviewReason,
    RoundRead,
    VoucherChoice,
    VoucherOption,
)
from suanli.market.search import Hit
from suanli.providers import service as providers
from suanli.providers.models import ClusterStatus

# Plain words for each reason an offer cannot serve an order (pages translate the code).
REASON_TEXT = {
    "no_such_accelerator": "no live offer has an accelerator you accept",
    "latency": "too far from your city for your latency limit",
    "min_lease": "your run is shorter than the offer's minimum lease",
    "no_capacity": "not enough GPUs free for your whole run inside your window",
    "voucher_not_accepted": "your voucher is not accepted there, and the full ask is over "
                            "your limit",
    "over_limit": "what you would pay yourself is over your limit",
}


def buyer_scope(principal: Principal) -> frozenset[int] | None:
    """Startups whose orders the caller sees; None for the platform and the regulator."""
    if principal.can(perms.ROUNDS_READ):
        return None
    return principal.org_ids_with(perms.ORDERS_PLACE)


def contract_scope(principal: Principal) -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """(buyer orgs, provider orgs) whose contracts the caller sees; (None, None): all."""
    if principal.can(perms.ROUNDS_READ):
        return None, None
    return principal.org_ids_with(perms.ORDERS_PLACE), principal.org_ids_with(
        perms.OFFERS_MANAGE)


def offer_scope(principal: Principal) -> frozenset[int] | None:
    if principal.can(perms.ROUNDS_READ):
        return None
    return principal.org_ids_with(perms.OFFERS_MANAGE)


def offer_status(row: Offer) -> tuple[str, str | None]:
    """The offer's status as shown, and why: a live offer on a cluster that may not list
    (suspended by an attestation mismatch or a hold, ...) shows as suspended."""
    if row.status == OfferStatus.LIVE and row.cluster.status != ClusterStatus.LISTABLE:
        return "suspended", row.cluster.status_reason or str(row.cluster.status)
    return str(row.status), None


def offer(row: Offer, free: int) -> OfferRead:
    dc = row.cluster.data_centre
    status, reason = offer_status(row)
    return OfferRead(
        id=row.id, organisation=row.organisation.slug, cluster_id=row.cluster_id,
        cluster=row.cluster.name, accelerator=row.accelerator_model, gpus=row.gpus,
        free_gpus=free, start_at=row.start_at, end_at=row.end_at,
        ask_cny_per_gpu_hour=format_cny(row.ask_fen), min_lease_hours=row.min_lease_hours,
        service_class=str(row.service_class), cancel_fee_rate=rate_text(row.cancel_fee_rate),
        status=status, status_reason=reason, location=providers.location_key(dc),
        hub=dc.hub_id,
        city=dc.city_id, operator=str(dc.operator_type), created_at=row.created_at)


def offers(session: Session, rows: list[Offer]) -> list[OfferRead]:
    free = offers_service.free_gpus(session, rows)
    return [offer(r, free[r.id]) for r in rows]


def hit(h: Hit) -> OfferHit:
    return OfferHit(**offer(h.offer, h.free_gpus).model_dump(), subsidy_rate=h.rate,
                    effective_cny_per_gpu_hour=format_cny(h.effective_fen),
                    voucher_accepted=h.voucher_accepted, latency_ms=h.latency_ms)


def order(row: Order) -> OrderRead:
    return OrderRead(
        id=row.id, organisation=row.organisation.slug, accelerators=list(row.accelerators),
        min_memory_gb=row.min_memory_gb, min_tflops=row.min_tflops, gpus=row.gpus,
        duration_hours=row.duration_hours, earliest_start=row.earliest_start,
        latest_end=row.latest_end, limit_cny_per_gpu_hour=format_cny(row.limit_fen),
        voucher_id=row.voucher_id, origin_city=row.origin_city_id,
        max_latency_ms=row.max_latency_ms, status=str(row.status),
        status_reason=row.status_reason, created_at=row.created_at)


def _candidate(v: Verdict, result: PreviewResult, gpus: int, hours: int) -> PreviewOffer:
    cost, subsidy, pays = split_cost(v.offer.ask_fen, gpus * hours, v.rate)
    return PreviewOffer(
        offer_id=v.offer.id, provider=v.offer.provider, location=v.offer.location,
        operator=v.offer.operator, accelerator=v.offer.accelerator,
        ask_cny_per_gpu_hour=format_cny(v.offer.ask_fen), subsidy_rate=rate_text(v.rate),
        effective_cny_per_gpu_hour=format_cny(v.effective_fen),
        voucher_accepted=None if result.checked.voucher is None else not v.voucher_refused,
        earliest_start=result.checked.origin + HOUR * (v.start or 0),
        cost_cny=format_cny(cost), subsidy_cny=format_cny(subsidy),
        buyer_pays_cny=format_cny(pays))


def _choice(checked: Checked) -> VoucherChoice | None:
    """The voucher the order would spend, how it was chosen, and the buyer's others."""
    voucher = checked.voucher
    if voucher is None or checked.voucher_by is None:
        return None
    left = dict((v.id, fen) for v, fen in checked.voucher_options)
    return VoucherChoice(
        voucher_id=voucher.id, valid_until=voucher.valid_until,
        available_cny=format_cny(left.get(voucher.id, 0)),
        chosen_by="buyer" if checked.voucher_by == "buyer" else "soonest",
        others=[VoucherOption(voucher_id=v.id, valid_until=v.valid_until,
                              available_cny=format_cny(fen))
                for v, fen in checked.voucher_options if v.id != voucher.id])


def preview(result: PreviewResult, gpus: int, hours: int) -> Preview:
    return Preview(
        accelerators=result.checked.models, voucher=_choice(result.checked),
        can_match=bool(result.candidates),
        candidates=[_candidate(v, result, gpus, hours) for v in result.candidates],
        reasons=[PreviewReason(reason=r, offers=n, text=REASON_TEXT[r])
                 for r, n in result.reasons])


def contract(row: Contract) -> ContractRead:
    return ContractRead(
        id=row.id, source=str(row.source), order_id=row.order_id, round_id=row.round_id,
        offer_id=row.offer_id, buyer=row.buyer.slug, provider=row.provider.slug,
        accelerator=row.accelerator_model, gpus=row.gpus, start_at=row.start_at,
        end_at=row.end_at, gpu_hours=row.gpu_hours,
        unit_price_cny=format_cny(row.unit_price_fen), subsidy_rate=rate_text(row.subsidy_rate),
        cost_cny=format_cny(row.cost_fen), subsidy_cny=format_cny(row.subsidy_fen),
        buyer_pays_cny=format_cny(row.buyer_pays_fen), voucher_id=row.voucher_id,
        voucher_hold_id=row.voucher_hold_id, buyer_hold_id=row.buyer_hold_id,
        state=str(row.state), created_at=row.created_at,
        cancel_charge_cny=None if row.cancel_charge_fen is None
        else format_cny(row.cancel_charge_fen),
        placement=[PlacedGpu(gpu_uuid=g.gpu_uuid, hostname=g.hostname, since=g.since,
                             until=g.until, placed_by=g.placed_by) for g in row.placement])


def round_(row: Round) -> RoundRead:
    snap, result = row.snapshot or {}, row.result or {}
    return RoundRead(
        id=row.id, status=str(row.status), trigger=row.trigger, started_at=row.started_at,
        finished_at=row.finished_at, horizon_start=row.horizon_start,
        slot_hours=row.slot_hours, slots=row.slots, orders=len(snap.get("orders", [])),
        offers=len(snap.get("offers", [])), result_status=result.get("status"),
        objective_cny=result.get("objective_cny"), contracts_written=row.contracts_written,
        left_out=list(row.left_out or []), shadow_prices=row.shadow_prices, error=row.error)
