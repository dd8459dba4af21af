"""Organisations by name on pages: `org_name(slug or id)` in every template.

Views and the API speak in slugs and ids; a page shows the organisation's name in the
reader's language. Looked up on demand through the request's session (the identity map and a
per-request cache keep it to one query per organisation), so a page pays only for the
organisations it shows.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation


def display_name(org: Organisation, lang: str) -> str:
    """An organisation's name in `lang` (the English name where no Chinese one is kept)."""
    return org.name_zh if lang == "zh" and org.name_zh else org.name


def lookup(session: Session, key: int | str) -> Organisation | None:
    """The organisation an id (a whole number, also as digits) or a slug names, if any."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        number = int(key)
        return auth_repo.org_by_id(session, number) if number < 2**63 else None
    return auth_repo.org_by_slug(session, key)


@pass_context
def org_name(context: Any, key: int | str | None) -> str:
    """The organisation's name in the page's language; an unknown key shown as it is."""
    if key is None or key == "":
        return ""
    request = context.get("request")
    state = getattr(request, "state", None)
    session = getattr(state, "db", None)
    if session is None or state is None:
        return str(key)
    cache: dict[tuple[str, object], str] | None = getattr(state, "org_names", None)
    if cache is None:
        cache = {}
        state.org_names = cache
    lang = str(context.get("lang", "en"))
    if (lang, key) not in cache:
        org = lookup(session, key)
        cache[(lang, key)] = str(key) if org is None else display_name(org, lang)
    return cache[(lang, key)]


def choices(session: Session, lang: str, keys: list[int] | list[str]
            ) -> list[tuple[int | str, str]]:
    """(key, name) pairs for a select box whose values stay slugs or ids."""
    out: list[tuple[int | str, str]] = []
    for key in keys:
        org = lookup(session, key)
        out.append((key, str(key) if org is None else display_name(org, lang)))
    return out
