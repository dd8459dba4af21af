"""Talking to the platform's API: bearer token, Idempotency-Key, problem+json refusals."""

from __future__ import annotations

from typing import Any

import httpx

from suanli_agent.errors import PLATFORM, AgentError

TIMEOUT_S = 30.0


def refusal(response: httpx.Response, what: str) -> AgentError:
    """The platform's refusal as an error naming the field it names."""
    try:
        problem = response.json()
        field, detail = problem.get("field") or "request", problem.get("detail") or response.text
    except (ValueError, AttributeError):
        field, detail = "request", response.text[:200]
    return AgentError(f"the platform refused {what} ({response.status_code}): {detail}",
                      field=str(field), exit_code=PLATFORM)


def send(method: str, platform: str, path: str, *, token: str, body: dict[str, Any],
         idempotency_key: str | None = None, client: httpx.Client | None = None
         ) -> httpx.Response:
    """One request to ``platform`` + ``/api/v1`` + ``path``; an unreachable platform is an
    AgentError naming --platform. The caller judges the status code."""
    url = f"{platform.rstrip('/')}/api/v1{path}"
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        if client is None:
            with httpx.Client(timeout=TIMEOUT_S) as own:
                return own.request(method, url, json=body, headers=headers)
        return client.request(method, url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise AgentError(f"cannot reach the platform at {platform}: {exc}", field="--platform",
                         exit_code=PLATFORM) from None
