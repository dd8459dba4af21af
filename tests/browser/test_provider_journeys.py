"""A provider registers a data centre and a cluster, attests it, and watches its status."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect

from suanli.providers.attestation import public_key_text
from suanli.web.i18n import translate
from suanli_agent.attest import post, signed_body
from suanli_agent.nvml import GpuInfo, Inventory
from tests.browser.conftest import login_as


def _create_token(page: Any) -> str:
    page.goto("/tokens")
    page.locator("#f-name").fill("agent on gpu nodes")
    page.get_by_role("button", name=translate("en", "tokens.create")).click()
    return str(page.locator("[data-testid=new-token]").inner_text())


def _register_data_centre(page: Any, name: str) -> None:
    page.get_by_role("link", name=translate("en", "nav.data_centres")).first.click()
    form = page.locator("#register-dc")
    form.locator("#f-name").fill(name)
    form.locator("#f-hub_id").select_option("gs-qingyang")
    form.locator("#f-operator_type").select_option("state")
    form.locator("#f-pue").fill("0.9")  # a slip: PUE cannot be below 1
    form.locator("#f-green_share").fill("0.6")
    form.locator("#f-racks").fill("300")
    form.get_by_role("button").click()
    expect(page.locator("#e-pue")).to_be_visible()
    page.locator("#register-dc #f-pue").fill("1.16")
    page.locator("#register-dc").get_by_role("button").click()
    expect(page.locator("[data-testid=data-centres]").get_by_text(name)).to_be_visible()


def _register_cluster(page: Any, dc_name: str, name: str, public_key: str) -> int:
    page.get_by_role("link", name=translate("en", "nav.clusters")).first.click()
    form = page.locator("#register-cluster")
    form.locator("#f-data_centre_id").select_option(label=dc_name)
    form.locator("#f-name").fill(name)
    form.locator("#f-accelerator_model").select_option("l20")
    form.locator("#f-nodes").fill("1")
    form.locator("#f-gpus_per_node").fill("8")
    form.locator("#f-attestation_key").fill(public_key)
    form.get_by_role("button").click()
    page.wait_for_url("**/providers/clusters/*")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_provider_registers_and_attests_a_cluster(page: Any, live_server: str) -> None:
    suffix = uuid.uuid4().hex[:6]
    login_as(page, "provider")
    _register_data_centre(page, f"Qingyang Zone C {suffix}")
    key = Ed25519PrivateKey.generate()
    cluster_id = _register_cluster(page, f"Qingyang Zone C {suffix}", f"QY-L20-{suffix}",
                                   public_key_text(key.public_key()))
    assert page.locator("h1 [data-testid=status]").get_attribute("data-status") == "pending"
    assert page.locator("[data-testid=reasons] li").all_inner_texts() == [
        translate("en", "reason.not_attested")]
    cluster_url = page.url

    # The agent on the node: sign this node's inventory and post it with an API token.
    token = _create_token(page)
    inventory = Inventory(f"qy-c-{suffix}", tuple(
        GpuInfo(i, "NVIDIA L20", f"GPU-{suffix}-{i}", 46068) for i in range(8)))
    with httpx.Client(timeout=30) as client:
        posted = post(platform=live_server, token=token, cluster_id=cluster_id, client=client,
                      body=signed_body(cluster_id=cluster_id, inventory=inventory, key=key,
                                       hostname=None))
    assert posted.matched

    page.goto(cluster_url)
    assert page.locator("h1 [data-testid=status]").get_attribute("data-status") == "listable"
    assert page.locator("[data-testid=attestation-summary]").inner_text().startswith(
        translate("en", "providers.cluster.attested_summary", nodes=1, of_nodes=1, gpus=8,
                  of_gpus=8))
    expect(page.locator("[data-testid=attestations]").get_by_text(
        translate("en", "providers.verdict.match"))).to_be_visible()
