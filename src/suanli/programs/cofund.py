"""Co-funded programs in the ledger: each funder's budget account, and movements split.

A program with funders keeps its money in the funders' accounts `program-funder:P:<n>`, not
in `program-budget:P` (opened, left at zero). Funding moves each funder's part from the
authority's treasury (`program-fund:P:<seq>:f<n>`), issuing moves each part to the voucher
(`voucher-issue:V:f<n>`), and a return by expiry or clawback gives each funder back at most
what it put into that voucher. Parts come from `funders.allocate`; all the parts of one
movement go in one linked ledger batch, so they move together or not at all. A program
without funders never reaches this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.ledger import service as ledger
from suanli.ledger.posting import TransferSpec
from suanli.programs import funders
from suanli.programs.models import Program


def accounts(program: Program) -> list[str]:
    return [funders.account(program.id, i) for i in range(len(program.funders))]


def open_accounts(session: Session, program: Program) -> None:
    for code, funder in zip(accounts(program), program.funders, strict=True):
        ledger.open_account(session, code=code, kind=ledger.AccountKind.PROGRAM_BUDGET,
                            owner_org_id=program.authority_org_id,
                            name=f"Budget of program {program.id}: {funder['name']}"[:200],
                            debits_must_not_exceed_credits=True)


def shares(program: Program, split: Sequence[int] | None = None) -> list[int]:
    """The split in force: a tier's own (`split`, basis points per funder) or the
    program's shares."""
    return list(split) if split else funders.shares_bp(program.funders)


def parts(program: Program, amount: int, split: Sequence[int] | None = None) -> list[int]:
    return funders.allocate(amount, shares(program, split))


def available(session: Session, program: Program) -> list[int]:
    """Each funder's unissued budget (the ledger's available balance)."""
    return [ledger.balance(session, code).available for code in accounts(program)]


def can_cover(session: Session, program: Program, amount: int,
              split: Sequence[int] | None = None) -> bool:
    """Whether every funder has its part of `amount` left (by `split`, else by share)."""
    return all(have >= need for have, need in
               zip(available(session, program), parts(program, amount, split), strict=True))


def _split(program: Program, *, transfer_id: str, amounts: list[int], outward: bool,
           other: str, reason: str, ref: str) -> list[TransferSpec]:
    """One transfer per funder with a non-zero part: from the funder to `other` when
    `outward`, else from `other` to the funder."""
    specs = []
    for n, (code, amount) in enumerate(zip(accounts(program), amounts, strict=True), 1):
        if amount:
            debit, credit = (code, other) if outward else (other, code)
            specs.append(TransferSpec.transfer(id=f"{transfer_id}:f{n}", debit=debit,
                                               credit=credit, amount=amount, reason=reason,
                                               ref=ref))
    return specs


def funding_parts(program: Program, amount: int, funder: int | None) -> list[int]:
    """Each funder's part of a funding: by share, or all of it to one funder (0-based)."""
    if funder is None:
        return parts(program, amount)
    return [amount if i == funder else 0 for i in range(len(program.funders))]


def fund(session: Session, program: Program, *, treasury: str, amount: int,
         transfer_id: str, funder: int | None = None) -> None:
    """Fund (positive) or give back to the treasury (negative), split by share or to and
    from one funder alone (ExceedsCredits when a funder has less left than its part of a
    return)."""
    specs = _split(program, transfer_id=transfer_id,
                   amounts=funding_parts(program, abs(amount), funder),
                   outward=amount < 0, other=treasury,
                   reason="program-fund" if amount > 0 else "program-defund",
                   ref=f"program:{program.id}")
    ledger.batch(session, specs)


def issue(session: Session, program: Program, *, voucher_account: str, amount: int,
          transfer_id: str, now: datetime | None = None,
          split: Sequence[int] | None = None) -> None:
    """Move a voucher's value from the funders' accounts, split by the voucher's tier's
    shares (`split`) or else the program's."""
    specs = _split(program, transfer_id=transfer_id, amounts=parts(program, amount, split),
                   outward=True, other=voucher_account, reason="voucher-issue",
                   ref=f"program:{program.id}")
    ledger.batch(session, specs, now=now)


def give_back(session: Session, program: Program, *, voucher_account: str, face_value: int,
              earlier: list[int], amount: int, transfer_id: str, reason: str, ref: str,
              now: datetime | None = None, split: Sequence[int] | None = None) -> None:
    """Return `amount` of a voucher to the funders: split as it was issued (`split`, else
    by share), none getting back more than it put in (its part of the face value less its
    parts of the `earlier` returns)."""
    by = shares(program, split)
    room = funders.allocate(face_value, by)
    for back in earlier:
        done = funders.allocate_within(back, by, room)
        room = [r - d for r, d in zip(room, done, strict=True)]
    amounts = funders.allocate_within(amount, by, room)
    specs = _split(program, transfer_id=transfer_id, amounts=amounts, outward=False,
                   other=voucher_account, reason=reason, ref=ref)
    ledger.batch(session, specs, now=now)


@dataclass(frozen=True)
class FunderShare:
    """One funder's part of a program's money."""

    index: int
    name: str
    label: str
    share: str
    account: str
    funded: int  # moved in from the treasury, less what went back
    unissued: int  # left in its account
    committed: int  # on vouchers: issued less returned (funded - unissued)
    paid: int  # its share of what vouchers spent


def shares_of(session: Session, program: Program, *, fundings: list[tuple[int, int | None]],
              spent: Sequence[tuple[tuple[int, ...], int]]) -> list[FunderShare]:
    """Each funder's funded, unissued, committed and paid money (empty: no funders).
    `fundings` are the program's fundings (amount, negative: given back; and the one
    funder it moved for, or None), split as they were moved;
    the unissued money is read from each funder's account, so committed (funded less
    unissued) is what the ledger holds on vouchers for the funder; `spent`, what the
    program's vouchers spent, by the split they were issued with (`()`: the program's
    shares), is split by that split."""
    if not program.funders:
        return []
    left = available(session, program)
    gave = [sum(col) for col in zip(*(funding_parts(program, a, f) for a, f in fundings),
                                    strict=True)] if fundings else [0] * len(program.funders)
    paid = [0] * len(program.funders)
    for split, amount in spent:
        paid = [p + q for p, q in zip(paid, parts(program, amount, split), strict=True)]
    return [FunderShare(i, f["name"], f.get("label", ""), f["share"], code, gave[i], left[i],
                        gave[i] - left[i], paid[i])
            for i, (f, code) in enumerate(zip(program.funders, accounts(program),
                                              strict=True))]
