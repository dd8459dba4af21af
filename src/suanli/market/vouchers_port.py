"""What the market needs from the vouchers domain: whose a voucher is, whether it may be
spent now, its terms as clearing reads them, and its balance (from the ledger)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.money import format_cny_grouped
from suanli.ledger import service as ledger
from suanli.market.matching import Terms
from suanli.programs import service as programs
from suanli.vouchers import repository as voucher_repo
from suanli.vouchers import service as voucher_service
from suanli.vouchers.models import Voucher, VoucherStatus
from suanli.vouchers.terms import contract_problem, voucher_terms
from suanli.web.i18n import translate


def held_voucher(session: Session, voucher_id: int, *, org_ids: Collection[int],
                 now: datetime, field: str = "voucher_id") -> Voucher:
    """A voucher one of the organisations holds, usable now; 404 when it is anyone else's,
    409 when it is closed or not valid now."""
    voucher = voucher_repo.get(session, voucher_id)
    if voucher is None or voucher.holder_org_id not in org_ids:
        raise NotFound(f"no voucher {voucher_id} held by your organisation", field=field)
    problem = unusable(voucher, now)
    if problem:
        raise Conflict(f"voucher {voucher_id} {problem}", field=field)
    return voucher


def check_contract(voucher: Voucher, *, hours: int, now: datetime, hours_field: str,
                   voucher_field: str = "voucher_id") -> None:
    """The program's contract terms: a contract too long (422 on `hours_field`) or signed
    before the program's date (409 on the voucher) is not paid by this voucher."""
    problem = contract_problem(voucher, hours=hours, signed_at=now)
    if problem is None:
        return
    which, sentence = problem
    if which == "term":
        raise ValidationFailed(f"voucher {voucher.id}: {sentence}", field=hours_field)
    raise Conflict(f"voucher {voucher.id}: {sentence}", field=voucher_field)


def find(session: Session, voucher_id: int) -> Voucher | None:
    return voucher_repo.get(session, voucher_id)


def unusable(voucher: Voucher, now: datetime) -> str | None:
    """Why the voucher cannot pay for anything now, or None when it can."""
    if voucher.status != VoucherStatus.ACTIVE:
        return f"is {voucher.status}"
    if now < voucher.valid_from:
        return "is not valid yet"
    if now >= voucher.valid_until:
        return "has expired"
    return None


def usable_vouchers(session: Session, org_ids: Collection[int], now: datetime
                    ) -> list[Voucher]:
    """The organisations' vouchers that can pay now, oldest first."""
    rows = voucher_repo.vouchers(session, holder_ids=sorted(org_ids),
                                 statuses=[VoucherStatus.ACTIVE])
    return sorted((v for v in rows if unusable(v, now) is None), key=lambda v: v.id)


def spend_order(session: Session, org_id: int, *, hours: int, now: datetime
                ) -> list[tuple[Voucher, int]]:
    """The buyer's vouchers that could pay for an order of `hours` now, with what each may
    still spend: expiring soonest first (ties: issued first). The first is the one spent
    when the buyer names none."""
    out = []
    for voucher in usable_vouchers(session, [org_id], now):
        if contract_problem(voucher, hours=hours, signed_at=now) is not None:
            continue
        available = available_fen(session, voucher)
        if available > 0:
            out.append((voucher, available))
    return sorted(out, key=lambda pair: (pair[0].valid_until, pair[0].id))


def available_fen(session: Session, voucher: Voucher) -> int:
    """What the voucher may still spend: the ledger's available balance."""
    return voucher_service.balance(session, voucher).available


def label(session: Session, voucher: Voucher, *, lang: str) -> str:
    """A voucher as a select box shows it: number, program and what it has left."""
    program = programs.get(session, voucher.program_id)
    name = program.name_zh if lang == "zh" and program.name_zh else program.name
    return translate(lang, "market.voucher_label", id=voucher.id, program=name,
                     left=format_cny_grouped(available_fen(session, voucher)))


def partial_allowed(session: Session, voucher: Voucher) -> bool:
    """Whether the voucher's program lets a voucher with less left than a contract's
    subsidy pay what it has (`partial_vouchers`)."""
    return bool(programs.get(session, voucher.program_id).partial_vouchers)


def state_only_providers(offers: Iterable[tuple[str, str]]) -> list[str]:
    """Providers every one of whose offers here stands in a state-run data centre.

    Snapshot providers are organisations; an organisation with commercial sites too is
    left out of a state-only voucher's list rather than let it pay for those sites.
    """
    operators: dict[str, set[str]] = {}
    for provider, operator in offers:
        operators.setdefault(provider, set()).add(operator)
    return sorted(p for p, ops in operators.items() if ops == {"state"})


def snapshot_terms(voucher: Voucher, *, holder: str, balance_fen: int | None,
                   offers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The voucher as a clearing snapshot holds it."""
    pairs = list(offers)
    return voucher_terms(voucher, holder=holder, balance_fen=balance_fen,
                         state_provider_slugs=state_only_providers(pairs),
                         offer_provider_slugs={provider for provider, _ in pairs})


def terms(voucher: Voucher, offers: Iterable[tuple[str, str]]) -> Terms:
    """The voucher's terms for the pure matching rules."""
    doc: Mapping[str, Any] = snapshot_terms(voucher, holder="", balance_fen=None,
                                            offers=offers)
    return Terms.from_dict(doc)


def ensure_account(session: Session, voucher: Voucher) -> str:
    """The voucher's ledger account code (the vouchers domain opened it at issue)."""
    ledger.get_account(session, voucher.account_code)
    return voucher.account_code
