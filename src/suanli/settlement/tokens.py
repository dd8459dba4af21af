"""Settling model-service subscriptions: tokens x price, the subsidy from the model voucher.

`settle` bills a subscription's token usage reported so far (`metering.tokens`) from its
running totals (`token_charges.bill`), in one linked ledger batch with deterministic ids:
the voucher's part from `voucher:<v>` and the buyer's part from its cash (or credit line)
to the provider's payout account (`model-sub:<id>:<n>:voucher`, `:buyer`). A model voucher
pays the provider at settlement; there is no claim step. A voucher that has expired, been
clawed back or has nothing left pays nothing more: the buyer pays the rest. Running it
twice with no new usage bills nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.models import Organisation
from suanli.kit.errors import Conflict, NotFound
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.ledger.posting import TransferSpec
from suanli.market import funds
from suanli.metering import token_repository as usage
from suanli.metering.model_models import ModelSubscription
from suanli.settlement.accounts import buyer_payer, payout_account
from suanli.settlement.token_charges import TokenBill, bill, voucher_rate
from suanli.vouchers import repository as vouchers
from suanli.vouchers import service as voucher_service
from suanli.vouchers.models import VoucherStatus


@dataclass(frozen=True)
class TokenSettlement:
    subscription: ModelSubscription
    bill: TokenBill
    tokens_in: int
    tokens_out: int
    transfers: tuple[str, ...]


def settle(session: Session, *, subscription_id: int, org_ids: frozenset[int] | None = None,
           now: datetime | None = None) -> TokenSettlement:
    """Bill what the subscription's tokens add since its last settlement (org_ids: the
    caller's organisations, which must include its buyer or provider; None: anyone).
    409 naming `subscription_id` when the buyer's cash does not cover its part."""
    now = now or utcnow()
    sub = usage.subscription(session, subscription_id, lock=True)
    if sub is None or (org_ids is not None and sub.buyer_org_id not in org_ids
                       and sub.provider_org_id not in org_ids):
        raise NotFound(f"no subscription {subscription_id}", field="subscription_id")
    tokens_in, tokens_out = usage.token_totals(session, [sub.id]).get(sub.id, (0, 0))
    rate, left, voucher_code = _voucher(session, sub, now)
    result = bill(tokens_in=tokens_in, tokens_out=tokens_out,
                  price_in_fen=sub.price_in_fen_per_m, price_out_fen=sub.price_out_fen_per_m,
                  billed=sub.billed_fen, subsidised=sub.subsidy_fen, rate_bp=rate,
                  voucher_left=left)
    if result.charge == 0:
        return TokenSettlement(sub, result, tokens_in, tokens_out, ())
    seq = sub.settlements + 1
    payout = payout_account(session, sub.provider_org_id)
    specs = []
    if result.subsidy:
        assert voucher_code is not None
        specs.append(TransferSpec.transfer(
            id=f"model-sub:{sub.id}:{seq}:voucher", debit=voucher_code, credit=payout,
            amount=result.subsidy, reason="model-voucher", ref=f"model-sub:{sub.id}"))
    if result.buyer:
        specs.append(TransferSpec.transfer(
            id=f"model-sub:{sub.id}:{seq}:buyer", debit=_payer(session, sub.buyer_org_id),
            credit=payout, amount=result.buyer, reason="model-service",
            ref=f"model-sub:{sub.id}"))
    try:
        ledger.batch(session, specs, now=now)
    except ExceedsCredits as exc:
        raise Conflict("the buyer's cash does not cover its part of the model-service bill",
                       field="subscription_id") from exc
    sub.billed_tokens_in, sub.billed_tokens_out = tokens_in, tokens_out
    sub.billed_fen, sub.subsidy_fen, sub.settlements = (result.charge_total,
                                                        result.subsidy_total, seq)
    session.flush()
    audit.record(session, action="model_subscription.settle",
                 object_type="model_subscription", object_id=sub.id,
                 organisation_id=sub.buyer_org_id,
                 after={"seq": seq, "tokens_in": tokens_in, "tokens_out": tokens_out,
                        "charge_fen": result.charge, "subsidy_fen": result.subsidy,
                        "buyer_fen": result.buyer})
    return TokenSettlement(sub, result, tokens_in, tokens_out, tuple(s.id for s in specs))


def _voucher(session: Session, sub: ModelSubscription, now: datetime
             ) -> tuple[int, int, str | None]:
    """The voucher's rate, what it may still pay and its account (0, 0, None: none pays)."""
    voucher = None if sub.voucher_id is None else vouchers.get(session, sub.voucher_id)
    if voucher is None or voucher.status != VoucherStatus.ACTIVE \
            or not voucher.valid_from <= now < voucher.valid_until:
        return 0, 0, None
    rate = voucher_rate(voucher.rate_state_bp, voucher.rate_commercial_bp, voucher.max_rate_bp)
    return rate, voucher_service.balance(session, voucher).available, voucher.account_code


def _payer(session: Session, buyer_org_id: int) -> str:
    org = session.get(Organisation, buyer_org_id)
    if org is None:
        raise NotFound(f"no organisation {buyer_org_id}", field="buyer_org_id")
    funds.ensure_buyer_cash(session, org)  # opened by the market on first deposit; maybe not yet
    return buyer_payer(session, buyer_org_id)
