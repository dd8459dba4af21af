"""Buyers' offer search: filters, latency from their city, price after their voucher."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.catalog import repository as catalog_repo
from suanli.catalog import service as catalog
from suanli.kit.errors import ValidationFailed
from suanli.market import offers_service, repository, vouchers_port
from suanli.market.matching import Terms, effective_fen, rate_text, subsidy_rate
from suanli.market.models import Offer
from suanli.market.schemas import check_ident
from suanli.providers import service as providers


def resolve_models(session: Session, *, accelerators: Collection[str] = (),
                   min_memory_gb: int | None = None, min_tflops: int | None = None,
                   field: str = "accelerators", indexed: bool = True) -> list[str]:
    """Acceptable models: those named (each must exist), narrowed by minimum figures.

    With no names, every catalogue model meeting the minimums; with neither, an error.
    """
    names = list(dict.fromkeys(accelerators))
    for index, name in enumerate(names):
        where = f"{field}[{index}]" if indexed else field
        if catalog.find_accelerator(session, check_ident(name, field=where)) is None:
            raise ValidationFailed(f"no accelerator model {name!r} in the catalogue",
                                   field=where)
    if not names and min_memory_gb is None and min_tflops is None:
        raise ValidationFailed("name accelerator models, or a minimum memory or TFLOPS",
                               field=field)
    # Named models: only their rows (the whole catalogue was 16 % of an order's time).
    rows = catalog_repo.accelerators(session, names or None)
    chosen = [a.model for a in rows
              if (min_memory_gb is None or (a.memory_gb or 0) >= min_memory_gb)
              and (min_tflops is None or (a.bf16_tflops_dense or 0) >= min_tflops)]
    if not chosen:
        raise ValidationFailed("no accelerator in the catalogue meets these minimums",
                               field="min_memory_gb" if min_memory_gb else "min_tflops")
    return sorted(chosen)


@dataclass(frozen=True)
class Query:
    accelerator: str | None = None
    min_memory_gb: int | None = None
    min_tflops: int | None = None
    hub: str | None = None
    city: str | None = None
    origin_city: str | None = None
    max_latency_ms: int | None = None
    operator: str | None = None
    service_class: str | None = None
    max_price_fen: int | None = None
    min_gpus: int | None = None
    voucher_id: int | None = None


@dataclass(frozen=True)
class Hit:
    offer: Offer
    free_gpus: int
    rate: str
    effective_fen: int
    voucher_accepted: bool | None
    latency_ms: int | None


def _check_places(session: Session, q: Query) -> None:
    for name in ("hub", "city", "origin_city", "operator", "service_class"):
        value = getattr(q, name)
        if value:
            check_ident(value, field=name)
    if q.hub and catalog.find_hub(session, q.hub) is None:
        raise ValidationFailed(f"no hub {q.hub!r}", field="hub")
    for name in ("city", "origin_city"):
        value = getattr(q, name)
        if value and catalog.find_city(session, value) is None:
            raise ValidationFailed(f"no city {value!r}", field=name)
    if q.max_latency_ms is not None and not q.origin_city:
        raise ValidationFailed("a latency limit needs the city you run from",
                               field="origin_city")


def _models(session: Session, q: Query) -> list[str] | None:
    if q.accelerator is None and q.min_memory_gb is None and q.min_tflops is None:
        return None
    return resolve_models(session, accelerators=[q.accelerator] if q.accelerator else [],
                          min_memory_gb=q.min_memory_gb, min_tflops=q.min_tflops,
                          field="accelerator", indexed=False)


def search(session: Session, q: Query, *, buyer_org_ids: Collection[int], now: datetime
           ) -> list[Hit]:
    """Live offers matching the filters, cheapest for this buyer first."""
    _check_places(session, q)
    offers = repository.search_offers(
        session, now=now, models=_models(session, q), hub=q.hub, city=q.city,
        operator=q.operator, service_class=q.service_class)
    terms: Terms | None = None
    if q.voucher_id is not None:
        voucher = vouchers_port.held_voucher(session, q.voucher_id, org_ids=buyer_org_ids,
                                             now=now)
        terms = vouchers_port.terms(voucher, [(o.organisation.slug,
                                               str(o.cluster.data_centre.operator_type))
                                              for o in offers])
    latencies = catalog.latency_table(session).get(q.origin_city or "", {})
    free = offers_service.free_gpus(session, offers, now)
    hits = [_hit(o, free[o.id], terms, latencies) for o in offers]
    hits = [h for h in hits if _keep(h, q)]
    return sorted(hits, key=lambda h: (h.effective_fen, h.offer.id))


def _hit(offer: Offer, free: int, terms: Terms | None, latencies: dict[str, int]) -> Hit:
    dc = offer.cluster.data_centre
    provider = offer.organisation.slug
    rate = subsidy_rate(terms, provider=provider, operator=str(dc.operator_type),
                        domestic=bool(offer.cluster.accelerator.domestic))
    accepted = None if terms is None else terms.accepts(provider)
    return Hit(offer, free, rate_text(rate),
               effective_fen(offer.ask_fen, rate), accepted,
               latencies.get(providers.location_key(dc)))


def _keep(hit: Hit, q: Query) -> bool:
    if hit.free_gpus <= 0 or (q.min_gpus is not None and hit.free_gpus < q.min_gpus):
        return False
    if q.max_price_fen is not None and hit.effective_fen > q.max_price_fen:
        return False
    return q.max_latency_ms is None or (hit.latency_ms is not None
                                        and hit.latency_ms <= q.max_latency_ms)
