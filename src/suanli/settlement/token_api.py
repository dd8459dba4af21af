"""Settling a model-service subscription over HTTP: tokens x price, the voucher's part."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.money import format_cny
from suanli.settlement import permissions as perms
from suanli.settlement import tokens

router = APIRouter(tags=["settlement"])


class TokenSettlementRead(BaseModel):
    subscription_id: int
    tokens_in: int
    tokens_out: int
    charge_cny: str = Field(description="What this settlement billed")
    subsidy_cny: str = Field(description="Of it, paid from the model voucher")
    buyer_cny: str = Field(description="Of it, paid by the buyer")
    billed_cny: str = Field(description="Running total billed")
    subsidy_total_cny: str
    transfers: list[str]


@router.post("/settlement/model-subscriptions/{subscription_id}/settle",
             response_model=TokenSettlementRead,
             summary="Bill the tokens reported since the last settlement (no new tokens: "
                     "bills nothing)")
def settle(subscription_id: int, session: DbSession,
           principal: Annotated[Principal, Guard(perms.TOKENS_SETTLE)],
           _key: Idempotent) -> TokenSettlementRead:
    scope = None if principal.can(perms.SETTLEMENT_RUN) else \
        principal.org_ids_with(perms.TOKENS_SETTLE)
    done = tokens.settle(session, subscription_id=subscription_id, org_ids=scope)
    b = done.bill
    return TokenSettlementRead(subscription_id=subscription_id, tokens_in=done.tokens_in,
                               tokens_out=done.tokens_out, charge_cny=format_cny(b.charge),
                               subsidy_cny=format_cny(b.subsidy), buyer_cny=format_cny(b.buyer),
                               billed_cny=format_cny(b.charge_total),
                               subsidy_total_cny=format_cny(b.subsidy_total),
                               transfers=list(done.transfers))
