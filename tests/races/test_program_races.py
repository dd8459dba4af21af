"""Programs under concurrent requests over HTTP: fundings, submits and reviews that race
for one budget. Nothing is lost, nothing answers 500, and an approval the budget cannot
cover yet waits for budget instead of being undone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from suanli.applications import service as applications
from suanli.applications.models import Application
from suanli.applications.states import ApplicationStatus as S
from suanli.auth import repository as auth_repo
from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs import repository as program_repo
from suanli.programs.models import Program
from tests.programs.factory import MILLION, make_program, passing_profile
from tests.races.burst import MODES, Call, assert_only, burst
from tests.races.conftest import Live

OK_OR_BUSY = {200, 201, 503}


@dataclass
class Bureau:
    program_id: int
    admin: dict[str, str]
    reviewer: dict[str, str]
    authority_id: int


def _bureau(live: Live, *, budget_fen: int, auto_approve: bool = True) -> Bureau:
    admin = live.member(Role.PROGRAM_ADMIN, "race-bureau")
    reviewer = live.member(Role.REVIEWER, "race-bureau")
    with unit_of_work(live.factory) as session:
        authority = auth_repo.org_by_slug(session, "race-bureau")
        assert authority is not None
        program = make_program(session, authority.id, budget_fen=budget_fen,
                               cap_per_firm_fen=None, auto_approve=auto_approve)
        return Bureau(program.id, admin, reviewer, authority.id)


def _budget(live: Live, program_id: int) -> tuple[int, int, int]:
    """(the program's budget column, what the ledger funded, what is left to issue)."""
    with unit_of_work(live.factory) as session:
        program = session.get(Program, program_id)
        assert program is not None
        funded = sum(f.amount_fen for f in program_repo.fundings(session, program_id))
        left = ledger.balance(session, program.budget_account).available
        assert verify(session).ok
        return program.budget_fen, funded, left


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_fundings_are_all_kept(live: Live, mode: str) -> None:
    bureau = _bureau(live, budget_fen=10 * MILLION)
    calls = [Call("POST", f"/api/v1/programs/{bureau.program_id}/funding", bureau.admin,
                  {"amount_cny": "100.00", "reason": f"top-up {n}"}) for n in range(40)]
    answers = burst(live.url, calls, mode=mode)
    assert_only(answers, {201, 503})
    funded = sum(a.status == 201 for a in answers)
    budget, in_ledger, left = _budget(live, bureau.program_id)
    assert budget == in_ledger == left == 10 * MILLION + funded * 100_00
    assert funded == 40 or any(a.status == 503 for a in answers)


@pytest.mark.parametrize("mode", MODES)
def test_budget_set_while_others_fund_stays_what_the_ledger_holds(live: Live, mode: str
                                                                  ) -> None:
    bureau = _bureau(live, budget_fen=10 * MILLION)
    path = f"/api/v1/programs/{bureau.program_id}"
    calls = [Call("POST", f"{path}/funding", bureau.admin, {"amount_cny": "100.00"})
             for _ in range(20)]
    calls += [Call("PATCH", path, bureau.admin, {"budget_cny": f"{20_000_000 + n}.00"})
              for n in range(10)]
    answers = burst(live.url, calls, mode=mode)
    assert_only(answers, {200, 201, 503})
    budget, in_ledger, left = _budget(live, bureau.program_id)
    assert budget == in_ledger == left
    # whatever order they ran in, the budget is the last value set (or the first budget)
    # plus the fundings that came after it
    starts = [10 * MILLION] + [(20_000_000 + n) * 100 for n, a in enumerate(answers[20:])
                               if a.status == 200]
    assert any((budget - start) % 100_00 == 0 and 0 <= budget - start <= 20 * 100_00
               for start in starts)


def _applicants(live: Live, bureau: Bureau, n: int) -> list[tuple[int, dict[str, str]]]:
    """n startups, each with a passing profile and a draft application: (id, headers)."""
    out = []
    for i in range(n):
        headers = live.member(Role.BUYER, f"race-startup-{i}")
        with unit_of_work(live.factory) as session:
            org = auth_repo.org_by_slug(session, f"race-startup-{i}")
            program = session.get(Program, bureau.program_id)
            assert org is not None and program is not None
            applications.save_profile(session, organisation_id=org.id, user_id=None,
                                      values=passing_profile())
            draft = applications.create(session, program=program, organisation_id=org.id,
                                        user_id=None)
            out.append((draft.id, headers))
    return out


def _statuses(live: Live, ids: list[int]) -> dict[int, tuple[str, int | None]]:
    with unit_of_work(live.factory) as session:
        rows = session.execute(select(Application.id, Application.status,
                                      Application.voucher_id)
                               .where(Application.id.in_(ids))).all()
    return {i: (str(status), voucher) for i, status, voucher in rows}


@pytest.mark.parametrize("mode", MODES)
def test_submits_that_lose_the_budget_race_wait_for_budget(live: Live, mode: str) -> None:
    fits, applicants = 5, 24
    bureau = _bureau(live, budget_fen=fits * MILLION)
    drafts = _applicants(live, bureau, applicants)
    # each draft submitted once, the first four twice more (a double click, a retry)
    sent = [*drafts, *drafts[:4], *drafts[:4]]
    calls = [Call("POST", f"/api/v1/applications/{i}/submit", h) for i, h in sent]
    answers = burst(live.url, calls, mode=mode)
    assert_only(answers, OK_OR_BUSY | {409})
    ids = [i for i, _ in drafts]
    submitted = {i for (i, _), a in zip(sent, answers, strict=True) if a.ok}
    assert all(sum(a.ok for (j, _), a in zip(sent, answers, strict=True) if j == i) <= 1
               for i in ids)
    assert all(a.body["field"] == "status" for a in answers if a.status == 409)
    after = _statuses(live, ids)
    issued = [i for i in ids if after[i][0] == S.VOUCHER_ISSUED]
    waiting = [i for i in ids if after[i][0] == S.AUTO_APPROVED]
    assert all(after[i][0] == S.DRAFT for i in ids if i not in submitted)
    assert sorted(issued + waiting) == sorted(submitted)
    for (i, _), a in zip(sent, answers, strict=True):
        if a.ok:  # the answer tells the applicant where the application stands
            assert a.body["status"] == after[i][0]
            assert a.body["waiting_for_budget"] == (after[i][0] == S.AUTO_APPROVED)
    if len(submitted) == applicants:
        assert len(issued) == fits
    assert _budget(live, bureau.program_id)[2] == (fits - len(issued)) * MILLION
    # budget added: the waiting ones are issued, oldest first, as far as it goes
    topped = live.client.post(f"/api/v1/programs/{bureau.program_id}/funding",
                              headers=bureau.admin,
                              json={"amount_cny": f"{(len(waiting) - 1) * 1000000}.00"})
    assert topped.status_code == 201, topped.text
    final = _statuses(live, ids)
    still = [i for i in waiting if final[i][0] == S.AUTO_APPROVED]
    assert len(still) == min(1, len(waiting))
    assert still == sorted(waiting)[-len(still):]
    assert _budget(live, bureau.program_id)[2] == 0


@pytest.mark.parametrize("mode", MODES)
def test_approvals_the_budget_cannot_cover_are_kept_waiting(live: Live, mode: str) -> None:
    fits, applicants = 3, 12
    bureau = _bureau(live, budget_fen=fits * MILLION, auto_approve=False)
    drafts = _applicants(live, bureau, applicants)
    ids = [i for i, _ in drafts]
    with unit_of_work(live.factory) as session:
        for i in ids:
            found = session.get(Application, i)
            assert found is not None
            applications.submit(session, application=found, user_id=None)
    assert {s for s, _ in _statuses(live, ids).values()} == {S.NEEDS_REVIEW}
    calls = [Call("POST", f"/api/v1/applications/{i}/decision", bureau.reviewer,
                  {"decision": "approve", "reason": "checked", "value_cny": "1000000.00"})
             for i in ids]
    answers = burst(live.url, calls, mode=mode)
    assert_only(answers, OK_OR_BUSY)
    decided = [i for i, a in zip(ids, answers, strict=True) if a.ok]
    after = _statuses(live, ids)
    issued = [i for i in ids if after[i][0] == S.VOUCHER_ISSUED]
    waiting = [i for i in ids if after[i][0] == S.APPROVED]
    assert sorted(issued + waiting) == sorted(decided)
    assert all(after[i] == (S.NEEDS_REVIEW, None) for i in ids if i not in decided)
    if len(decided) == applicants:
        assert len(issued) == fits
    assert _budget(live, bureau.program_id)[2] == (fits - len(issued)) * MILLION
