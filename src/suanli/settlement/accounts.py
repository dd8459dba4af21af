"""The ledger accounts settlement pays into, by the platform's code conventions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.auth.models import Organisation
from suanli.kit.errors import NotFound
from suanli.ledger import service as ledger
from suanli.programs import credit


def _org(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id}", field="organisation_id")
    return org


def payout_account(session: Session, provider_org_id: int) -> str:
    """The provider's payout account `provider-payout:<slug>` (opened on first use)."""
    org = _org(session, provider_org_id)
    code = f"provider-payout:{org.slug}"
    try:
        ledger.get_account(session, code)
    except NotFound:
        ledger.open_account(session, code=code, kind=ledger.AccountKind.PROVIDER_PAYOUT,
                            owner_org_id=org.id, name=f"Payouts to {org.name}"[:200])
    return code


def buyer_cash(session: Session, buyer_org_id: int) -> str:
    """The buyer's cash account `buyer-cash:<slug>`, which the market opens."""
    return f"buyer-cash:{_org(session, buyer_org_id).slug}"


def buyer_payer(session: Session, buyer_org_id: int) -> str:
    """What pays the buyer's part beyond its holds (late usage, a reimbursed program's
    excess): its credit line where one is in force (`programs.credit`), else its cash."""
    return credit.credit_account(session, buyer_org_id) or buyer_cash(session, buyer_org_id)


def receivable_account(session: Session, provider_org_id: int) -> str:
    """The provider's receivable `provider-receivable:<slug>`, which the market opens."""
    return f"provider-receivable:{_org(session, provider_org_id).slug}"
