"""The inbox, preferences, webhooks and the delivery log over the API and as pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from suanli.auth.roles import Role
from suanli.notifications import sender
from tests.conftest import login
from tests.notifications.helpers import endpoint, voucher_issued
from tests.notifications.receivers import SmtpServer, WebhookReceiver


def _pass(sessions: sessionmaker[Session]) -> sender.PassReport:
    return sender.run_pass(sessions, with_reminders=False)


def test_the_inbox_lists_marks_read_and_counts(
        client: TestClient, db: Session, sessions: sessionmaker[Session],
        member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER, org="acme")
    other = member(Role.BUYER, org="rival")
    for n in (1, 2, 3):
        voucher_issued(db, buyer.org_id, voucher_id=n)
    voucher_issued(db, other.org_id, voucher_id=9)
    _pass(sessions)
    h = buyer.headers
    page = client.get("/api/v1/notifications", headers=h).json()
    assert page["total"] == 3
    assert [i["title"] for i in page["items"]] == [f"Voucher #{n} issued" for n in (3, 2, 1)]
    assert page["items"][0]["topic"] == "voucher.issued"
    assert page["items"][0]["link"] == "/vouchers/3"
    zh = client.get("/api/v1/notifications", headers=h | {"Accept-Language": "zh-CN"}).json()
    assert zh["items"][0]["title"] == "算力券 #3 已发放"
    assert client.get("/api/v1/notifications/unread-count", headers=h).json() == {"unread": 3}
    first = page["items"][2]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read", headers=h).json() == {
        "changed": 1}
    assert client.post(f"/api/v1/notifications/{first}/read", headers=h).json() == {
        "changed": 0}
    theirs = client.get("/api/v1/notifications", headers=other.headers).json()["items"][0]
    assert client.post(f"/api/v1/notifications/{theirs['id']}/read", headers=h).json() == {
        "changed": 0}  # another user's notification is not ours to read
    unread = client.get("/api/v1/notifications?unread=true", headers=h).json()
    assert unread["total"] == 2
    assert client.post("/api/v1/notifications/read-all", headers=h).json() == {"changed": 2}
    assert client.get("/api/v1/notifications/unread-count", headers=h).json() == {"unread": 0}
    assert client.get("/api/v1/notifications/unread-count",
                      headers=other.headers).json() == {"unread": 1}


def test_every_page_shows_the_unread_count_in_the_top_bar(
        client: TestClient, db: Session, sessions: sessionmaker[Session],
        member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    voucher_issued(db, buyer.org_id, voucher_id=1)
    voucher_issued(db, buyer.org_id, voucher_id=2)
    _pass(sessions)
    login(client, buyer.user.username)
    for path in ("/", "/vouchers", "/notifications/preferences"):
        html = client.get(path).text
        assert 'data-testid="unread-count"' in html and ">2</span>" in html, path
    inbox = client.get("/notifications").text
    assert inbox.count('data-testid="notification"') == 2
    csrf = client.cookies.get("suanli_csrf")
    done = client.post("/notifications/read-all", data={"csrf_token": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    assert 'data-testid="unread-count"' not in client.get("/").text


def test_preferences_api_validates_and_applies(
        client: TestClient, db: Session, sessions: sessionmaker[Session],
        member: Callable[..., Any], notify_env: SmtpServer) -> None:
    buyer = member(Role.BUYER)
    h = buyer.headers
    prefs = client.get("/api/v1/notifications/preferences", headers=h).json()
    topics = {t["topic"] for t in prefs["topics"]}
    assert {"voucher.issued", "order.unmatched", "invoice.issued"} <= topics
    assert "application.needs_review" not in topics  # a reviewer's, not a buyer's
    assert prefs["email_available"] is True and prefs["email"] is None
    bad = client.put("/api/v1/notifications/preferences", headers=h,
                     json={"email": "not-an-address"})
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    unknown = client.put("/api/v1/notifications/preferences", headers=h,
                         json={"topics": [{"topic": "no.such"}]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "topics"
    wrong_lang = client.put("/api/v1/notifications/preferences", headers=h,
                            json={"language": "fr"})
    assert wrong_lang.status_code == 422
    saved = client.put("/api/v1/notifications/preferences", headers=h, json={
        "email": "chen@acme.test", "language": "zh",
        "topics": [{"topic": "voucher.issued", "inbox": True, "email": False}]})
    assert saved.status_code == 200, saved.text
    row = next(t for t in saved.json()["topics"] if t["topic"] == "voucher.issued")
    assert (row["inbox"], row["email"]) == (True, False)
    voucher_issued(db, buyer.org_id, voucher_id=1)
    from suanli import outbox

    outbox.emit(db, "invoice.issued", subject=("invoice", 4), orgs={"buyer": buyer.org_id},
                payload={"invoice_id": 4, "number": "INV-1", "period": "2026-03-01"})
    db.commit()
    _pass(sessions)
    (mail,) = notify_env.messages  # the invoice, not the voucher
    assert "账单 INV-1 已开具" in mail["Subject"]


def test_preferences_page_saves_and_shows_errors(
        client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200 and 'name="voucher.issued:email"' in page.text
    csrf = client.cookies.get("suanli_csrf")
    bad = client.post("/notifications/preferences", data={
        "csrf_token": csrf, "email": "nope", "language": "en"})
    assert bad.status_code == 422 and 'id="e-email"' in bad.text
    ok = client.post("/notifications/preferences", data={
        "csrf_token": csrf, "email": "chen@acme.test", "language": "zh", "digest": "on",
        "voucher.issued:inbox": "on"}, follow_redirects=False)
    assert ok.status_code == 303
    prefs = client.get("/api/v1/notifications/preferences").json()
    assert (prefs["email"], prefs["language"], prefs["digest"]) == ("chen@acme.test", "zh",
                                                                   True)
    issued = next(t for t in prefs["topics"] if t["topic"] == "voucher.issued")
    assert (issued["inbox"], issued["email"]) == (True, False)


@pytest.mark.parametrize("url", [
    "http://10.1.2.3/hook", "http://192.168.0.10:8080/x", "http://127.0.0.1:9000/hook",
    "http://localhost/hook", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook", "http://[fd00::1]/hook", "http://0.0.0.0/", "ftp://203.0.113.9/x",
    "http://user:pw@93.184.216.34/hook", "not a url",
])
def test_a_private_or_odd_webhook_url_is_refused(
        client: TestClient, member: Callable[..., Any], url: str) -> None:
    buyer = member(Role.BUYER)
    response = client.post("/api/v1/notifications/webhooks", headers=buyer.headers,
                           json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "url"
    assert client.get("/api/v1/notifications/webhooks", headers=buyer.headers).json() == []


def test_the_platform_itself_is_refused_even_where_private_addresses_are_allowed(
        client: TestClient, member: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("SUANLI_BASE_URL", "https://suanli.example.gov.cn")
    buyer = member(Role.BUYER)
    for url in ("https://suanli.example.gov.cn/api/v1/x", "https://SUANLI.example.gov.cn:443/"):
        response = client.post("/api/v1/notifications/webhooks", headers=buyer.headers,
                               json={"url": url})
        assert response.status_code == 422 and "platform itself" in response.json()["detail"]
    allowed = client.post("/api/v1/notifications/webhooks", headers=buyer.headers,
                          json={"url": "http://127.0.0.1:9/hook"})
    assert allowed.status_code == 201


def test_webhooks_are_managed_by_their_organisation(
        client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER, org="acme")
    rival = member(Role.BUYER, org="rival")
    made = client.post("/api/v1/notifications/webhooks", headers=buyer.headers, json={
        "url": "https://93.184.216.34/hook", "topics": ["order.unmatched"]})
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and hook["topics"] == ["order.unmatched"]
    assert client.get("/api/v1/notifications/webhooks", headers=rival.headers).json() == []
    stolen = client.patch(f"/api/v1/notifications/webhooks/{hook['id']}",
                          headers=rival.headers, json={"active": False})
    assert stolen.status_code == 404
    bad_topic = client.post("/api/v1/notifications/webhooks", headers=buyer.headers, json={
        "url": "https://93.184.216.34/other", "topics": ["no.such"]})
    assert bad_topic.status_code == 422 and bad_topic.json()["field"] == "topics"
    rotated = client.patch(f"/api/v1/notifications/webhooks/{hook['id']}",
                           headers=buyer.headers, json={"rotate_secret": True}).json()
    assert rotated["secret"] != hook["secret"]
    gone = client.delete(f"/api/v1/notifications/webhooks/{hook['id']}",
                         headers=buyer.headers)
    assert gone.status_code == 204
    assert client.get("/api/v1/notifications/webhooks", headers=buyer.headers).json() == []


def test_the_webhook_page_refuses_a_private_url_naming_the_field(
        client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    assert client.get("/notifications/webhooks").status_code == 200
    csrf = client.cookies.get("suanli_csrf")
    refused = client.post("/notifications/webhooks", data={
        "csrf_token": csrf, "url": "http://10.0.0.5/hook"})
    assert refused.status_code == 422
    assert 'id="e-url"' in refused.text and "private" in refused.text
    added = client.post("/notifications/webhooks", data={
        "csrf_token": csrf, "url": "https://93.184.216.34/hook", "topic:voucher.issued": "on"},
        follow_redirects=False)
    assert added.status_code == 303
    assert "https://93.184.216.34/hook" in client.get("/notifications/webhooks").text


def test_the_delivery_log_shows_each_try_and_its_response_code(
        client: TestClient, db: Session, sessions: sessionmaker[Session],
        member: Callable[..., Any], notify_env: SmtpServer, hooks: WebhookReceiver) -> None:
    from datetime import timedelta

    from suanli.kit.timeutil import utcnow

    buyer = member(Role.BUYER)
    rival = member(Role.BUYER)
    hook = endpoint(db, buyer.org_id, hooks.url)
    hooks.statuses.append(502)
    voucher_issued(db, buyer.org_id)
    t0 = utcnow()
    sender.run_pass(sessions, now=t0, with_reminders=False)
    sender.run_pass(sessions, now=t0 + timedelta(seconds=2), with_reminders=False)
    log = client.get(f"/api/v1/notifications/deliveries?endpoint_id={hook.id}",
                     headers=buyer.headers).json()
    (entry,) = log["items"]
    assert entry["status"] == "delivered" and entry["channel"] == "webhook"
    assert [t["code"] for t in entry["tries"]] == [502, 200]
    assert entry["tries"][0]["error"].startswith("HTTP 502")
    assert client.get("/api/v1/notifications/deliveries",
                      headers=rival.headers).json()["total"] == 0
    login(client, buyer.user.username)
    html = client.get("/notifications/deliveries").text
    assert 'data-code="502"' in html and 'data-code="200"' in html


def test_alert_thresholds_belong_to_their_owners(
        client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    bureau = member(Role.PROGRAM_ADMIN)
    missing = client.put("/api/v1/notifications/alerts/vouchers/999", headers=buyer.headers,
                         json={"threshold_cny": "100.00"})
    assert missing.status_code == 404
    negative = client.put("/api/v1/notifications/alerts/vouchers/999", headers=buyer.headers,
                          json={"threshold_cny": "-1.00"})
    assert negative.status_code == 422
    floats = client.put("/api/v1/notifications/alerts/programs/1", headers=bureau.headers,
                        json={"threshold_cny": 12.5})
    assert floats.status_code == 422
    assert client.get("/api/v1/notifications/alerts", headers=buyer.headers).json() == []


def test_an_unreachable_smtp_server_never_fails_the_request_that_caused_the_event(
        client: TestClient, db: Session, sessions: sessionmaker[Session],
        member: Callable[..., Any], notify_env: SmtpServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.market.helpers import issue_voucher
    from tests.notifications.helpers import contact
    from tests.notifications.receivers import free_port

    monkeypatch.setenv("SUANLI_SMTP_PORT", str(free_port()))  # nobody answers there
    buyer = member(Role.BUYER)
    contact(db, buyer.user.id, "chen@acme.test")
    voucher = issue_voucher(db, member, buyer.org_id)
    bureau = member(Role.PROGRAM_ADMIN, org=_authority_slug(db, voucher.program_id))
    done = client.post(f"/api/v1/vouchers/{voucher.id}/clawback", headers=bureau.headers,
                       json={"reason": "forged invoices"})
    assert done.status_code == 200, done.text
    report = _pass(sessions)
    assert report.sent == 0 and report.failed == 2  # issued and clawed back: both delayed
    log = client.get("/api/v1/notifications/deliveries", headers=buyer.headers).json()
    assert log["total"] == 2
    assert all(i["status"] == "pending" and i["tries"][0]["code"] is None
               and i["last_error"] for i in log["items"])


def _authority_slug(db: Session, program_id: int) -> str:
    from suanli.programs.models import Program

    program = db.get(Program, program_id)
    assert program is not None
    from suanli.auth.models import Organisation

    org = db.get(Organisation, program.authority_org_id)
    assert org is not None
    return org.slug
