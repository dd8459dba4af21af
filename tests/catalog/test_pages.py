"""Catalogue pages: everyone reads; administrators add, correct and measure, with errors
shown in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
from suanli.web.i18n import translate
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("reference_data")

FORM = {"model": "acme-x1", "vendor": "Acme", "name": "X1", "domestic": "on",
        "datacenter": "on", "bf16_tflops_dense": "100", "int8_tops_dense": "",
        "memory_gb": "64", "memory_bw_gbs": "", "interconnect_gbs": "", "tdp_w": "300",
        "die_mm2": "", "source": "Acme datasheet 2026"}


def _logged_in(client: TestClient, member: Callable[..., Any], role: Role) -> Any:
    who = member(role)
    login(client, who.user.username)
    return who


def _post(client: TestClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data={**data, "csrf_token": client.cookies.get("suanli_csrf")},
                       follow_redirects=False)


def test_buyer_reads_the_catalogue_in_chinese(client: TestClient,
                                              member: Callable[..., Any]) -> None:
    _logged_in(client, member, Role.BUYER)
    client.cookies.set("suanli_lang", "zh")
    page = client.get("/catalog/accelerators")
    assert page.status_code == 200
    assert translate("zh", "catalog.accelerators.title") in page.text
    assert "h100-sxm" in page.text and "TPP 15,832 &gt;= 4,800" in page.text
    assert "/catalog/accelerators/new" not in page.text
    hubs = client.get("/catalog/hubs")
    assert hubs.status_code == 200 and 'data-cell="shanghai/gs-qingyang">28<' in hubs.text
    # The latency table's columns name the hubs (in the page's language), not their ids.
    qingyang = translate("zh", "catalog.hub_name.gs-qingyang")
    assert f'title="gs-qingyang">{qingyang}</th>' in hubs.text
    assert client.get("/catalog/accelerators/new").status_code == 403


def test_admin_adds_a_model_through_the_form(client: TestClient,
                                             member: Callable[..., Any]) -> None:
    _logged_in(client, member, Role.PLATFORM_ADMIN)
    assert "/catalog/accelerators/new" in client.get("/catalog/accelerators").text
    response = _post(client, "/catalog/accelerators/new", FORM)
    assert response.status_code == 303, response.text
    listing = client.get("/catalog/accelerators").text
    assert 'data-model="acme-x1"' in listing and "Acme datasheet 2026" in listing


def test_admin_edits_reported_names_on_the_form(client: TestClient,
                                               member: Callable[..., Any]) -> None:
    _logged_in(client, member, Role.PLATFORM_ADMIN)
    form = client.get("/catalog/accelerators/h20/edit")
    assert ">NVIDIA H20</textarea>" in form.text
    data = {**FORM, "vendor": "NVIDIA", "name": "H20", "bf16_tflops_dense": "148",
            "int8_tops_dense": "296", "memory_gb": "96", "die_mm2": "814", "domestic": "",
            "source": "tomshardware.com; smbom.com/news/13059",
            "reported_names": "NVIDIA H20\r\n\r\nNVIDIA H20 96GB\r\n"}
    data.pop("model")
    assert _post(client, "/catalog/accelerators/h20/edit", data).status_code == 303
    listing = client.get("/catalog/accelerators").text
    assert "NVIDIA H20; NVIDIA H20 96GB" in listing
    taken = _post(client, "/catalog/accelerators/h20/edit",
                  {**data, "reported_names": "NVIDIA L20"})
    assert taken.status_code == 409 and 'id="e-reported_names"' in taken.text


@pytest.mark.parametrize(("change", "field"), [
    ({"bf16_tflops_dense": "-3"}, "bf16_tflops_dense"),
    ({"model": "Not OK"}, "model"),
    ({"source": ""}, "source"),
    ({"model": "h20"}, "model"),
])
def test_bad_form_shows_the_error_at_the_field(client: TestClient, member: Callable[..., Any],
                                               change: dict[str, str], field: str) -> None:
    _logged_in(client, member, Role.PLATFORM_ADMIN)
    response = _post(client, "/catalog/accelerators/new", {**FORM, **change})
    assert response.status_code in (409, 422)
    assert f'id="e-{field}"' in response.text
    assert 'data-model="acme-x1"' not in client.get("/catalog/accelerators").text


def test_admin_corrects_a_model_and_sees_the_new_class(client: TestClient,
                                                       member: Callable[..., Any]) -> None:
    _logged_in(client, member, Role.PLATFORM_ADMIN)
    form = client.get("/catalog/accelerators/hygon-k100-ai/edit")
    assert form.status_code == 200 and 'value="196"' in form.text
    data = {**FORM, "vendor": "Hygon", "name": "DCU K100_AI", "bf16_tflops_dense": "196",
            "int8_tops_dense": "392", "die_mm2": "500", "source": "secondary (ai.md); die est."}
    data.pop("model")
    assert _post(client, "/catalog/accelerators/hygon-k100-ai/edit", data).status_code == 303
    row = client.get("/api/v1/catalog/accelerators/hygon-k100-ai").json()
    assert row["eccn"] == "3A090.a" and row["die_mm2"] == 500


def test_admin_enters_a_measured_latency(client: TestClient, member: Callable[..., Any]) -> None:
    _logged_in(client, member, Role.PLATFORM_ADMIN)
    client.get("/catalog/hubs")
    bad = _post(client, "/catalog/latency", {"city": "shanghai", "hub": "gs-qingyang",
                                             "latency_ms": "0", "note": ""})
    assert bad.status_code == 422 and 'id="e-latency_ms"' in bad.text
    ok = _post(client, "/catalog/latency", {"city": "shanghai", "hub": "gs-qingyang",
                                            "latency_ms": "17", "note": "CN2 ping"})
    assert ok.status_code == 303
    assert 'data-cell="shanghai/gs-qingyang"><strong title="CN2 ping">17*<' in client.get(
        "/catalog/hubs").text
