"""The pure parts: URL screening, signatures, backoff, message texts."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from suanli.kit.errors import ValidationFailed
from suanli.notifications import signing, urls
from suanli.notifications.catalogue import ALIASES, BY_KEY, topic_of
from suanli.notifications.messages import message, values
from suanli.notifications.sender import retry_delay

PLATFORM = ("suanli.example.gov.cn", 443)


def _resolver(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[Any]:
        if host not in table:
            raise socket.gaierror("no such name")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]
    return resolve


@pytest.mark.parametrize(("url", "why"), [
    ("https://hooks.internal.example/", "private"),  # resolves to 10.x below
    ("https://rebind.example/", "private"),  # one of its addresses is loopback
    ("https://suanli.example.gov.cn/webhook", "platform itself"),
    ("http://metadata.google.internal/", "private"),
    ("http://printer.local/", "private"),
    ("gopher://hooks.example.com/", "https://"),
    ("https:///nohost", "no host"),
])
def test_urls_refused(url: str, why: str) -> None:
    resolve = _resolver({"hooks.internal.example": ["10.2.3.4"],
                         "rebind.example": ["93.184.216.34", "127.0.0.1"]})
    problem = urls.refusal(url, allow_private=False, platform=PLATFORM, resolve=resolve)
    assert problem is not None and why in problem


def test_public_and_unresolvable_urls_are_accepted() -> None:
    resolve = _resolver({"hooks.example.com": ["93.184.216.34"]})
    for url in ("https://hooks.example.com/suanli", "https://not-yet-in-dns.example/x"):
        assert urls.refusal(url, allow_private=False, platform=PLATFORM, resolve=resolve) is None


def test_check_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        urls.check("http://192.168.1.1/", allow_private=False, platform=PLATFORM)
    assert caught.value.field == "url" and caught.value.status == 422


def test_signatures_verify_and_expire() -> None:
    body = b'{"id":"e1"}'
    header = signing.signature("whsec_a", 1_700_000_000, body)
    assert header.startswith("v1=") and len(header) == 3 + 64
    ok = dict(header=header, timestamp="1700000000", body=body)
    assert signing.verify("whsec_a", now=1_700_000_100, **ok)  # type: ignore[arg-type]
    assert not signing.verify("whsec_b", now=1_700_000_100, **ok)  # type: ignore[arg-type]
    assert not signing.verify("whsec_a", now=1_700_000_301, **ok)  # type: ignore[arg-type]
    assert not signing.verify("whsec_a", header=header, timestamp="1700000001", body=body,
                              now=1_700_000_000)
    assert not signing.verify("whsec_a", header=header, timestamp="soon", body=body,
                              now=1_700_000_000)


def test_backoff_doubles_up_to_its_cap() -> None:
    delays = [retry_delay(n, base_s=30, max_s=3600) for n in range(1, 10)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert delays[-1] == timedelta(hours=1)


def test_every_emitted_kind_has_a_topic_and_texts() -> None:
    assert set(ALIASES.values()) <= set(BY_KEY)
    for kind in [*BY_KEY, *ALIASES]:
        assert topic_of(kind) is not None, kind
    assert topic_of("application.approved") is BY_KEY["application.decided"]
    assert topic_of("application.draft") is None and topic_of("integrity.passed") is None


def test_values_format_money_times_and_codes() -> None:
    shown = values({"value_fen": 123_456_78, "start_at": "2026-03-01T16:00:00+00:00",
                    "reason": "over_limit"}, "zh")
    assert shown["value_cny"] == "123,456.78"
    assert shown["start_at"] == "2026-03-02 00:00"
    assert shown["reason"] == "所有可满足的挂单都高于您的价格上限"
    assert values({"reason": "a free text"}, "zh")["reason"] == "a free text"


def test_a_message_links_to_its_page_and_survives_a_missing_value() -> None:
    msg = message("voucher.issued", {"voucher_id": 5, "value_fen": 100}, "en")
    assert msg.link == "/vouchers/5"
    assert msg.title == "Voucher #5 issued"
    assert "valid until ?" in msg.body  # no valid_until given: a mark, not an error
    assert message("integrity.failed", {"subject": "ledger", "problem": "x"}, "en").link == \
        "/ledger"
    assert message("claim.approved", {}, "en").link == "/claims"


def test_times_in_messages_are_shanghai() -> None:
    at = datetime(2026, 5, 1, 1, 30, tzinfo=UTC).isoformat()
    msg = message("contract.starting_soon", {"contract_id": 1, "start_at": at, "end_at": at,
                                             "gpus": 8, "model": "h20"}, "en")
    assert "09:30" in msg.title
