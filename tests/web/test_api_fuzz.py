"""Schemathesis against the app on the demo world (a migrated database of its own, a token
for every role): every answer is one the OpenAPI document promises (status, content type,
body schema, headers), no answer is a 5xx, and schema-valid requests are not refused.

Two phases: each operation alone (schema-valid and schema-breaking requests), then stateful
workflows that follow the document's links (create a program, then read and publish it;
create an offer, then buy from it; ...). Each request carries the token of a role that
holds the operation's permission. Loading the document through schemathesis also proves it
is valid OpenAPI. Bounded to about a minute and a half per database on a busy machine.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from suanli.auth import service as auth_service
from suanli.auth.models import User
from suanli.auth.roles import Role, role_has
from suanli.kit.text import NUL_RULE
from tests.web.routes import api_routes
from tests.web.world import build_world

# Refusals of schema-valid requests by rules no JSON schema states: they depend on another
# field, on rows in the database, on the clock, on the network, or on cryptography. Each is a
# 422 naming the field; (operation, field) -> why. Any other refusal fails the test.
BEYOND_SCHEMA = {
    ("POST /api/v1/users", "memberships[].organisation"): "an organisation that exists",
    ("PUT /api/v1/providers/clusters/{cluster_id}/attestation-key", "attestation_key"):
        "an Ed25519 public key (a point on the curve)",
    ("POST /api/v1/providers/clusters/{cluster_id}/attestations", "signature"):
        "a signature that verifies",
    ("POST /api/v1/compliance/cases/{case_id}/decision", "decision"):
        "the decisions the case's kind allows",
    ("POST /api/v1/ledger/transfers", "credit"): "differs from the debit account; exists",
    ("POST /api/v1/ledger/transfers", "debit"): "an account that exists",
    ("POST /api/v1/ledger/transfers", "id"): "not a prefix the platform reserves",
    ("GET /api/v1/applications/profile", "organisation_id"): "a startup of yours",
    ("POST /api/v1/market/offers", "end_at"): "after start_at",
    ("POST /api/v1/market/orders/preview", "accelerators"): "models, memory or TFLOPS given",
    ("POST /api/v1/market/orders", "accelerators"): "models, memory or TFLOPS given",
    ("POST /api/v1/market/deposits", "organisation"): "a startup that exists",
    ("POST /api/v1/metering/usage", "records[].cluster_id"): "contract_id or cluster_id",
    ("POST /api/v1/settlement/runs", "period_end"): "a day that has ended",
    ("POST /api/v1/notifications/webhooks", "url"): "a public address (DNS)",
    ("POST /api/v1/providers/data-centres", "hub_id"): "a hub or a city given",
    ("POST /api/v1/providers/clusters/{cluster_id}/provenance", "cluster_id"):
        "a cluster whose parts need provenance evidence",
    ("POST /api/v1/programs/presets/{preset_key}", "authority_org_id"): "an authority of yours",
    ("POST /api/v1/programs", "city"): "a city in the catalogue",
    ("POST /api/v1/credit-bills/{bill_id}/payments", "source"):
        "a bank payment is the platform's to record",
    ("PUT /api/v1/applications/profile", "organisation_id"): "a startup of yours",
    ("POST /api/v1/applications", "organisation_id"): "a startup of yours",
    ("POST /api/v1/documents", "object_type"): "a kind of object a domain registered",
    ("GET /api/v1/market/offers", "city"): "a city in the catalogue",
    ("GET /api/v1/market/offers", "hub"): "a hub in the catalogue",
    ("GET /api/v1/market/offers", "origin_city"): "a city in the catalogue",
    ("GET /api/v1/market/offers", "accelerator"): "a model in the catalogue",
    ("POST /api/v1/programs/{program_id}/calls", "closes_at"): "after opens_at",
    ("POST /api/v1/market/orders/preview", "accelerators[]"): "models in the catalogue",
    ("POST /api/v1/market/orders", "accelerators[]"): "models in the catalogue",
    ("POST /api/v1/market/orders/preview", "latest_end"): "after earliest_start",
    ("POST /api/v1/market/orders", "latest_end"): "after earliest_start",
    ("POST /api/v1/metering/usage", "records[].end"): "after start",
    ("POST /api/v1/models/offers", "price_in_cny_per_m"): "not both prices zero",
    ("POST /api/v1/providers/data-centres", "time_zone"): "a zone in the IANA database",
    ("POST /api/v1/catalog/accelerators", "reported_names"): "printable in Unicode's sense",
    ("PATCH /api/v1/catalog/accelerators/{model}", "reported_names"):
        "printable in Unicode's sense",
}
# The market's searches name what must be in the catalogue (a model, a city, a hub, a model
# meeting the minimums), and a latency limit needs the city the buyer runs from.
SEARCHES = ("GET /api/v1/market/offers", "POST /api/v1/market/orders/preview",
            "POST /api/v1/market/orders")
BEYOND_SCHEMA.update({(search, field): "in the catalogue" for search in SEARCHES for field in (
    "accelerator", "accelerators[]", "min_memory_gb", "min_tflops", "origin_city", "hub",
    "city")})
BEYOND_SCHEMA.update({(search, "organisation"): "a startup of yours" for search in (
    *SEARCHES[1:], "POST /api/v1/market/instant-buys")})


def schema_valid_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, but for the refusals listed in BEYOND_SCHEMA."""
    try:
        return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]
    except RejectedPositiveData:
        if response.status_code == 422:
            label = f"{case.operation.method.upper()} {case.operation.path}"
            problem = response.json()
            field = re.sub(r"\[\d+\]|\.\d+(?=\.|$)", "[]", str(problem.get("field")))
            # U+0000 is refused in every string and key (PostgreSQL cannot store it).
            if (label, field) in BEYOND_SCHEMA or NUL_RULE in problem.get("detail", ""):
                return None
        raise


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, schema_valid_accepted]
# The demo user of each role, in the order a role is chosen when several hold a permission.
USER_OF = {Role.BUYER: "buyer", Role.PROVIDER: "provider", Role.PROGRAM_ADMIN: "bureau",
           Role.REVIEWER: "reviewer", Role.AUDITOR: "auditor", Role.PLATFORM_ADMIN: "admin"}
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
SCENARIOS = 20  # stateful scenarios of at most 6 steps


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


class Callers:
    """A bearer token per demo role, and which role calls each operation: one holding the
    route's permission (the buyer when any caller may)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.tokens: dict[str, str] = {}
        self.perms: dict[tuple[str, str], str | None] = {}
        for path, route in api_routes(app):
            perm = next((d.call.permission for d in _flat(route.dependant)
                         if hasattr(d.call, "permission")), None)
            for method in route.methods or ():
                self.perms[(method.upper(), path)] = perm
        for username in USER_OF.values():
            self.renew(username)

    def renew(self, username: str) -> None:
        """A fresh token for the user: the fuzzer may have revoked the one it held."""
        with self.app.state.sessions() as session:
            user = session.execute(select(User).where(User.username == username)).scalar_one()
            self.tokens[username] = auth_service.issue_token(session, user=user,
                                                             name="fuzz").secret
            session.commit()

    def user_for(self, operation: Any) -> str:
        perm = self.perms.get((operation.method.upper(), operation.path))
        for role, username in USER_OF.items():
            if perm is None or role_has(role, perm):
                return username
        raise AssertionError(f"no demo role holds {perm}")

    def headers(self, operation: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[self.user_for(operation)]}"}

    def after(self, operation: Any) -> None:
        if operation.method.upper() == "DELETE" and operation.path.startswith("/api/v1/tokens"):
            self.renew(self.user_for(operation))


def _flat(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub
        yield from _flat(sub)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from build_world(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def callers(world: FastAPI) -> Callers:
    return Callers(world)


def _fuzzer(operation: Any, mode: GenerationMode, callers: Callers,
            statuses: Counter[int]) -> Callable[[], None]:
    """A hypothesis test that calls one operation and runs every check on the answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @_settings(EXAMPLES[mode])
    def run(case: Any) -> None:
        response = case.call(headers=callers.headers(operation))
        callers.after(operation)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    return run  # type: ignore[no-any-return]


def test_every_operation_answers_as_documented(world: FastAPI, callers: Callers) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in EXAMPLES:
            try:
                _fuzzer(operation, mode, callers, statuses)()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to break: no parameters
            except (Exception, BaseExceptionGroup) as exc:  # collect all, report together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)
    # The fuzzer got past authentication: most answers are not 401.
    assert statuses[401] < sum(statuses.values()) / 4, statuses
    assert sum(n for status, n in statuses.items() if status < 300) > 100, statuses


def test_stateful_workflows_answer_as_documented(world: FastAPI, callers: Callers) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world)
    # Scenarios of schema-valid requests: each step has a chance to make what the next uses
    # (the per-operation test sends the schema-breaking ones).
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    machine: Any = schema.as_state_machine()
    steps: Counter[str] = Counter()
    # Failures are collected rather than raised: a raised one makes hypothesis replay the
    # scenario, and a live database answers a replay differently (it remembers the first).
    failures: dict[str, str] = {}
    ran = [0]  # scenarios finished

    class Workflows(machine):  # type: ignore[misc, valid-type]
        def teardown(self) -> None:
            super().teardown()
            ran[0] += 1

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": callers.headers(case.operation)}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            callers.after(case.operation)
            steps[f"{case.operation.method.upper()} {case.operation.path} "
                  f"{response.status_code}"] += 1

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS,
                                       transport_kwargs=kwargs or None, recorder=self.recorder)
            except (Exception, BaseExceptionGroup) as exc:
                label = f"{case.operation.method.upper()} {case.operation.path}"
                failures.setdefault(f"{label} {response.status_code}", f"{label}: {exc}")

    # Scenarios are generated, never shrunk: a replay meets another state of the database,
    # which hypothesis reports as flaky generation; then a new round starts, as
    # schemathesis' own runner does, until the scenario budget is spent.
    for _round in range(4):
        left = SCENARIOS - ran[0]
        if left <= 0:
            break
        try:
            Workflows.run(settings=settings(_settings(left), stateful_step_count=6,
                                            phases=[Phase.generate], derandomize=False))
            break
        except Flaky:
            continue
    assert not failures, "\n\n".join(failures.values())
    # The links were followed: resources made in one step were used by a later one.
    linked = [step for step in steps if "{" in step and step.rsplit(" ", 1)[1] < "300"]
    assert len(linked) >= 2, f"{ran[0]} scenarios:\n" + "\n".join(
        f"{n:4} {step}" for step, n in steps.most_common())
