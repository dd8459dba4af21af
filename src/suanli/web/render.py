"""Rendering pages: the Jinja2 environment, the caller's language, CSRF and formats."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from suanli.deps import CSRF_COOKIE, expected_csrf, session_secret
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import to_shanghai
from suanli.web import flash
from suanli.web.i18n import DEFAULT, LANG_COOKIE, catalogue, pick_language, translate
from suanli.web.messages import VALIDATION
from suanli.web.names import org_name

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader([TEMPLATES, *sorted(Path(__file__).parent.parent.glob("*/templates"))]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else to_shanghai(value).strftime(fmt)


env.filters["local"] = _local_time
env.filters["cny"] = format_cny_grouped
env.globals["org_name"] = org_name


# What higher domains add to every page (the inbox's unread count in the top bar): each
# takes the request and returns names for the templates; registered at start-up.
PAGE_CONTEXT: list[Callable[[Request], dict[str, Any]]] = []


# Ledger accounts are named in English when they are opened ("Budget of program 7"); pages
# show the name in the reader's language, matched on the shapes the services write.
_ACCOUNT_NAMES = [
    (re.compile(r"Budget of program (?P<id>\d+): (?P<funder>.+)"), "ledger.account.budget_funder"),
    (re.compile(r"Budget of program (?P<id>\d+)"), "ledger.account.budget"),
    (re.compile(r"Credit lines of program (?P<id>\d+)"), "ledger.account.credit_lines"),
    (re.compile(r"Credit line of (?P<org>.+)"), "ledger.account.credit_line"),
    (re.compile(r"Treasury of (?P<org>.+)"), "ledger.account.treasury"),
    (re.compile(r"Bank of (?P<org>.+)"), "ledger.account.bank"),
    (re.compile(r"Cash of (?P<org>.+)"), "ledger.account.cash"),
    (re.compile(r"Receivable of (?P<org>.+)"), "ledger.account.receivable"),
    (re.compile(r"Payouts to (?P<org>.+)"), "ledger.account.payouts"),
    (re.compile(r"Voucher (?P<id>\d+)"), "ledger.account.voucher"),
]


def account_name(lang: str, name: str, owner: Any = None) -> str:
    """A ledger account's name in `lang` (names of other shapes as they are); the owning
    organisation (with `slug`, `name`, `name_zh`), where given, by its name, not its slug."""
    for pattern, key in _ACCOUNT_NAMES:
        match = pattern.fullmatch(name)
        if match:
            values = match.groupdict()
            if owner is not None and values.get("org") in (owner.slug, owner.name):
                values["org"] = (owner.name_zh if lang == "zh" and owner.name_zh
                                 else owner.name)
            return translate(lang, key, **values)
    return name


# Reasons the services store in English (an order's status, a timeline's step): each domain
# adds the shapes it writes, (pattern, key); a page shows a matching reason in its language,
# the pattern's named groups (themselves reasons, where they are) filling the message.
REASONS: list[tuple[re.Pattern[str], str]] = [*VALIDATION]


def reason_text(lang: str, text: str | None) -> str:
    """A stored reason in `lang`: a known shape translated, any other as it is."""
    if not text:
        return ""
    for pattern, key in REASONS:
        match = pattern.fullmatch(text)
        if match:
            return translate(lang, key, **{name: reason_text(lang, value)
                                          for name, value in match.groupdict().items()})
    if "; " in text:  # several reasons joined (a cluster's status): each its own
        parts = [reason_text(lang, part) for part in text.split("; ")]
        return ("；" if lang == "zh" else "; ").join(parts)
    return text


def translate_or(lang: str, key: str, fallback: str) -> str:
    """The message for `key` where a catalogue has one, else `fallback` (a value as stored)."""
    return translate(lang, key) if key in catalogue(DEFAULT) else fallback


def language(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def csrf_value(request: Request) -> str:
    """The token for forms: the login session's own; without a session the double-submit
    cookie, or a new one when the browser has none yet."""
    if session_secret(request) is not None:
        return expected_csrf(request)
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    new = getattr(request.state, "csrf_new", None)
    if new is None:
        new = secrets.token_urlsafe(24)
        request.state.csrf_new = new
    return str(new)


def _here(request: Request) -> str:
    """This page's path and query: where the language switch comes back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


_TABLE_OPEN = re.compile(r"<table\b")
_CHART = re.compile(r'<svg class="chart".*?</svg>', re.DOTALL)  # charts hold no inner <svg>


def scrolling_tables(html: str) -> str:
    """Every table and chart in a box of its own that scrolls sideways, so that neither
    makes the page wider than a phone, and a chart keeps a readable size there (the CSS
    gives `.table-scroll` its overflow and charts their smallest width)."""
    # A chart holds nothing focusable: its box takes the focus, so a keyboard can scroll it.
    html = _CHART.sub(lambda m: f'<div class="table-scroll" tabindex="0">{m.group(0)}</div>',
                      html)
    return _TABLE_OPEN.sub('<div class="table-scroll"><table', html).replace(
        "</table>", "</table></div>")


def render(request: Request, template: str, status_code: int = 200, **context: Any
           ) -> HTMLResponse:
    """A page in the caller's language, with the CSRF token and the caller at hand."""
    lang = language(request)

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    extra: dict[str, Any] = {
        **flash.context(request),
        "tx": lambda key, fallback: translate_or(lang, key, fallback),
        "account_name": lambda name, owner=None: account_name(lang, name, owner),
        "reason": lambda text: reason_text(lang, text),
    }
    for provide in PAGE_CONTEXT:
        extra.update(provide(request))
    _translate_errors(lang, context)
    html = env.get_template(template).render(
        request=request, lang=lang, t=t, csrf_token=csrf_value(request), here=_here(request),
        principal=getattr(request.state, "principal", None), **extra, **context,
    )
    response = HTMLResponse(scrolling_tables(html), status_code=status_code)
    flash.consume(request, response)
    return response


def _translate_errors(lang: str, context: dict[str, Any]) -> None:
    """Validation messages (Pydantic's, the money grammar's, the services' known reasons)
    in the page's language: forms keep them as the validators wrote them, in English."""
    if lang == DEFAULT:  # as written: the English pages (and their tests) keep the originals
        return
    errors = context.get("errors")
    if isinstance(errors, dict):
        context["errors"] = {name: reason_text(lang, message) if isinstance(message, str)
                             else message for name, message in errors.items()}
    if isinstance(context.get("form_error"), str):
        context["form_error"] = reason_text(lang, context["form_error"])


_FIELD_MESSAGE = re.compile(r"(?P<field>[\w.-]+): (?P<message>.+)")


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    lang = language(request)
    if lang != DEFAULT:  # a known message in the page's language; others as written
        translated = reason_text(lang, detail)
        named = _FIELD_MESSAGE.fullmatch(detail)
        if translated == detail and named:  # "field: message", as 422 pages say it
            translated = f"{named['field']}：{reason_text(lang, named['message'])}"
        detail = translated
    return render(request, "error.html", status_code=status, status=status, detail=detail)
