"""Schemathesis walks the OpenAPI document: generated requests never cause a 5xx.

Loading the document through schemathesis also proves it is valid OpenAPI. Each
operation gets a fresh token, since the fuzzer may well revoke the one it holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.roles import Role


def _fuzzer(operation: Any, headers: dict[str, str],
            statuses: Counter[int]) -> Callable[[], None]:
    """A hypothesis test that calls one operation and refuses any 5xx answer."""

    @given(case=operation.as_strategy())
    @settings(max_examples=6, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    return run  # type: ignore[no-any-return]


def test_no_server_errors(app: FastAPI, db: Session, member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        token = auth_service.issue_token(db, user=admin.user, name="fuzz").secret
        db.commit()
        headers = {"Authorization": f"Bearer {token}"}

        run = _fuzzer(operation, headers, statuses)

        try:
            run()
        except Exception as exc:  # collect all, report together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The fuzzer got past authentication: most answers are not 401.
    assert statuses[401] < sum(statuses.values()) / 4, statuses
