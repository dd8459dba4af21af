"""Vouchers as the API and the pages show them, and who may see which."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.kit.errors import NotFound
from suanli.kit.money import format_cny
from suanli.programs import access
from suanli.programs import repository as program_repo
from suanli.programs.enums import ProviderMode
from suanli.programs.rates import format_rate
from suanli.vouchers import permissions as perms
from suanli.vouchers import repository, service
from suanli.vouchers.models import Voucher, VoucherStatus
from suanli.vouchers.schemas import TrancheRead, VoucherRead
from suanli.vouchers.terms import voucher_terms


def visible_vouchers(session: Session, principal: Principal,
                     statuses: list[VoucherStatus] | None = None) -> list[Voucher]:
    """Vouchers the caller may see: their startups', their authorities' programs', or all."""
    if principal.can(perms.VOUCHERS_READ_ALL):
        return repository.vouchers(session, statuses=statuses)
    held = repository.vouchers(session, holder_ids=principal.org_ids(Role.BUYER),
                               statuses=statuses)
    authorities = access.own_ids(principal)
    if not authorities:
        return held
    program_ids = [p.id for p in program_repo.programs(session, authority_ids=authorities,
                                                       public=False)]
    issued = repository.vouchers(session, program_ids=program_ids, statuses=statuses)
    merged = {v.id: v for v in [*held, *issued]}
    return sorted(merged.values(), key=lambda v: -v.id)


def can_see(session: Session, principal: Principal, voucher: Voucher) -> bool:
    if principal.can(perms.VOUCHERS_READ_ALL):
        return True
    if voucher.holder_org_id in principal.org_ids(Role.BUYER):
        return True
    program = program_repo.get(session, voucher.program_id)
    return program is not None and program.authority_org_id in access.own_ids(principal)


def visible(session: Session, principal: Principal, voucher_id: int) -> Voucher:
    voucher = repository.get(session, voucher_id)
    if voucher is None or not can_see(session, principal, voucher):
        raise NotFound(f"no voucher {voucher_id}", field="voucher_id")
    return voucher


def clawable(session: Session, principal: Principal, voucher_id: int) -> Voucher:
    """A voucher of a program the caller administers; 404 for any other."""
    voucher = repository.get(session, voucher_id)
    program = None if voucher is None else program_repo.get(session, voucher.program_id)
    if voucher is None or program is None or not access.can_manage(principal, program):
        raise NotFound(f"no voucher {voucher_id}", field="voucher_id")
    return voucher


def releasable(session: Session, principal: Principal, voucher_id: int) -> Voucher:
    """A voucher of a program of an authority the caller works for; 404 for any other."""
    voucher = repository.get(session, voucher_id)
    program = None if voucher is None else program_repo.get(session, voucher.program_id)
    if voucher is None or program is None \
            or program.authority_org_id not in access.own_ids(principal):
        raise NotFound(f"no voucher {voucher_id}", field="voucher_id")
    return voucher


def reads(session: Session, vouchers: list[Voucher]) -> list[VoucherRead]:
    balances = service.balances(session, vouchers)
    orgs = program_repo.organisations(session, {v.holder_org_id for v in vouchers})
    names = {p.id: p.name for p in (program_repo.get(session, pid)
                                    for pid in {v.program_id for v in vouchers}) if p}
    out = []
    for voucher in vouchers:
        b = balances[voucher.id]
        holder = orgs[voucher.holder_org_id].slug if voucher.holder_org_id in orgs else ""
        # Terms that depend on the offers at hand (state-only, or any provider but the
        # holder's affiliates) are shown by the market, not here.
        open_ended = voucher.provider_mode == ProviderMode.STATE_ONLY or (
            voucher.provider_mode == ProviderMode.ALL and voucher.excluded_providers)
        terms = None if open_ended else voucher_terms(voucher, holder=holder,
                                                      balance_fen=b.available)
        out.append(VoucherRead(
            id=voucher.id, program_id=voucher.program_id,
            program=names.get(voucher.program_id, ""), holder_org_id=voucher.holder_org_id,
            holder=holder, application_id=voucher.application_id, status=voucher.status,
            face_value_cny=format_cny(b.face_value), available_cny=format_cny(b.available),
            held_cny=format_cny(b.held), spent_cny=format_cny(b.spent),
            returned_cny=format_cny(b.returned), awaiting_cny=format_cny(b.awaiting),
            rates={"state": format_rate(voucher.rate_state_bp),
                   "commercial": format_rate(voucher.rate_commercial_bp)},
            domestic_bonus=format_rate(voucher.domestic_bonus_bp),
            max_rate=format_rate(voucher.max_rate_bp), provider_mode=voucher.provider_mode,
            providers=sorted(voucher.provider_slugs) if voucher.provider_mode
            == ProviderMode.LIST else None,
            valid_from=voucher.valid_from, valid_until=voucher.valid_until,
            closed_at=voucher.closed_at, close_reason=voucher.close_reason, terms=terms,
            tier=voucher.tier_key, excluded_providers=list(voucher.excluded_providers or []),
            unit=voucher.unit or "gpu_hours",
            funder_shares=None if not voucher.funder_shares
            else [format_rate(s) for s in voucher.funder_shares],
            max_contract_days=voucher.max_contract_days,
            contracts_signed_from=voucher.contracts_signed_from,
            tranches=[TrancheRead(
                index=i, share=row["share"], milestone=row["milestone"],
                amount_cny=format_cny(row["amount_fen"]), released_at=row["released_at"],
                reason=row.get("reason")) for i, row in enumerate(voucher.tranches or [])]))
    return out
