"""Screening and attestation cores, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from suanli.catalog.reported_names import name_key, packaged_reported_names
from suanli.providers.attestation import (
    BadKey,
    Claim,
    ReportedGpu,
    build_payload,
    canonical_json,
    compare,
    load_private_key,
    new_key_pair,
    parse_public_key,
    sign,
    verify,
    within_window,
)
from suanli.providers.screening import TEMPLATES, Facts, Reason, screen, short_reason
from suanli.web.i18n import catalogue, translate

H800 = "TPP 15,832 >= 4,800 (BF16 989.5 TFLOPS x 16)"


def facts(**change: object) -> Facts:
    base: dict[str, object] = {"eccn": "not-3A090", "eccn_reason": "TPP 2,368 < 2,400",
                               "domestic": False, "nodes": 2, "gpus_per_node": 8,
                               "has_key": True}
    return Facts(**{**base, **change})  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "status", "keys"), [
    ({}, "pending", ["not_attested"]),
    ({"has_key": False}, "pending", ["no_key", "not_attested"]),
    ({"attested_nodes": 1, "attested_gpus": 8}, "pending", ["partly_attested"]),
    ({"attested_nodes": 2, "attested_gpus": 16}, "listable", []),
    ({"eccn": "3A090.a", "eccn_reason": H800}, "awaiting_decision",
     ["needs_provenance", "awaiting_decision", "not_attested"]),
    ({"eccn": "3A090.a", "eccn_reason": H800, "provenance_documents": 2}, "awaiting_decision",
     ["provenance_uploaded", "awaiting_decision", "not_attested"]),
    ({"eccn": "3A090.a", "eccn_reason": H800, "provenance_approved": True,
      "attested_nodes": 2, "attested_gpus": 16}, "listable", []),
    ({"eccn": "3A090.a", "eccn_reason": H800, "domestic": True, "attested_nodes": 2,
      "attested_gpus": 16}, "listable", []),
    ({"eccn": "undetermined", "eccn_reason": "TPP 3,136 is between; bounds"},
     "awaiting_decision", ["needs_provenance", "awaiting_decision", "not_attested"]),
    ({"holds": ("spot check",), "attested_nodes": 2, "attested_gpus": 16}, "suspended",
     ["hold"]),
    ({"mismatches": (Reason("mismatch_model", {"claims": "a", "reports": "b"}),),
      "eccn": "3A090.b", "eccn_reason": "x"}, "suspended",
     ["mismatch_model", "needs_provenance", "awaiting_decision", "not_attested"]),
    ({"rejected_reason": "smuggled", "holds": ("x",)}, "rejected", ["rejected"]),
])
def test_screening_matrix(change: dict[str, object], status: str, keys: list[str]) -> None:
    result = screen(facts(**change))
    assert result.status == status
    assert [r.key for r in result.reasons] == keys
    assert result.listable == (status == "listable")


def test_reasons_read_as_the_auditor_expects() -> None:
    result = screen(facts(eccn="3A090.a", eccn_reason=H800))
    assert [r.text for r in result.reasons] == [
        "3A090.a part (TPP 15,832 >= 4,800): needs provenance documents (none uploaded)",
        "awaiting auditor decision", "not attested yet"]
    assert short_reason("TPP 3,136 is between 1,600 and 4,800; 3A090.a if (x)") == (
        "TPP 3,136 is between 1,600 and 4,800")


def test_every_reason_is_translated_and_the_english_matches() -> None:
    params = {"reason": "r", "claims": 64, "reports": 48, "name": "n", "nodes": 8,
              "per_node": 8, "node": "n1", "at_most": 48, "count": 9, "uuid": "GPU-1",
              "cluster": 3, "eccn": "3A090.a", "summary": "s", "documents": 2,
              "of_nodes": 8, "gpus": 8, "of_gpus": 64}
    for key, template in TEMPLATES.items():
        assert f"reason.{key}" in catalogue("zh"), key
        assert translate("en", f"reason.{key}", **params) == template.format(**params)


def test_canonical_json_is_stable_and_signatures_verify() -> None:
    private_pem, public = new_key_pair()
    key = load_private_key(private_pem)
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    payload = build_payload(cluster_id=7, hostname="节点-1", now=now, nonce="n" * 32,
                            gpus=[{"index": 0, "name": "NVIDIA H20", "uuid": "GPU-a",
                                   "memory_total_mib": 97871}])
    assert canonical_json(payload) == canonical_json(json.loads(json.dumps(payload)))
    assert canonical_json(payload).startswith(b'{"cluster_id":7,"gpus":[{"index":0')
    assert payload["timestamp"] == "2026-03-01T08:00:00Z"
    signature = sign(payload, key)
    assert verify(json.loads(json.dumps(payload)), signature, public)
    assert not verify({**payload, "hostname": "other"}, signature, public)
    assert not verify(payload, "not base64!", public)
    other = Ed25519PrivateKey.generate()
    assert not verify(payload, sign(payload, other), public)


def test_keys_are_read_strictly() -> None:
    _, public = new_key_pair()
    assert parse_public_key(f"  {public}\n") == public
    for bad in ("", "AAAA", "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"):
        with pytest.raises(BadKey):
            parse_public_key(bad)
    with pytest.raises(BadKey):
        load_private_key(b"not a key")


def test_time_window() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert within_window(now - timedelta(minutes=5), now)
    assert not within_window(now - timedelta(minutes=5, seconds=1), now)
    assert not within_window(now + timedelta(minutes=6), now)


NAMES = {name_key(n): model for model, names in packaged_reported_names().items()
         for n in names}


@pytest.mark.parametrize(("name", "model"), [
    ("NVIDIA H100 80GB HBM3", "h100-sxm"), ("NVIDIA H100 SXM5 80GB", "h100-sxm"),
    ("NVIDIA H100 PCIe", "h100-pcie"), ("NVIDIA H800", "h800-sxm"),
    ("NVIDIA H800 PCIe", "h800-pcie"), ("NVIDIA H20", "h20"), ("NVIDIA H200", "h200"),
    ("NVIDIA A800-SXM4-80GB", "a800-sxm-80g"), ("NVIDIA A100-SXM4-80GB", "a100-sxm-80g"),
    ("NVIDIA A100-SXM4-40GB", "a100-sxm-40g"), ("nvidia  a100-pcie-40gb", "a100-pcie-40g"),
    ("NVIDIA L20", "l20"), ("NVIDIA L40S", "l40s"), ("NVIDIA L40", "l40"), ("NVIDIA L4", "l4"),
    ("NVIDIA GeForce RTX 4090", "rtx-4090"), ("NVIDIA GeForce RTX 4090 D", "rtx-4090d"),
    ("Ascend 910B3", "ascend-910b3"), ("Ascend910B", "ascend-910b"),
    ("Ascend 910C", "ascend-910c"), ("Ascend 910", "ascend-910"), ("MLU370-X8", "mlu370-x8"),
    ("AMD Instinct MI300X", "mi300x"), ("Tesla T4", None), ("NVIDIA H2", None),
])
def test_packaged_reported_names_map_to_catalogue_models(name: str, model: str | None) -> None:
    from suanli.catalog.reported_names import model_for

    assert model_for(name, NAMES) == model


def _gpus(name: str, count: int) -> tuple[ReportedGpu, ...]:
    return tuple(ReportedGpu(i, name, f"GPU-{i}", 81559) for i in range(count))


def test_compare_finds_every_contradiction() -> None:
    claim = Claim("a800-sxm-80g", nodes=8, gpus_per_node=8)
    assert compare(claim, "n1", _gpus("NVIDIA A800-SXM4-80GB", 8), {}, NAMES) == ()
    wrong = compare(claim, "n1", _gpus("NVIDIA H100 80GB HBM3", 6), {"GPU-0": 4}, NAMES)
    assert [p.text for p in wrong] == [
        "attestation mismatch: claims a800-sxm-80g, reports h100-sxm",
        "attestation mismatch: claims 64 GPUs (8 x 8 per node), node n1 reports 6 "
        "(at most 48 in all)",
        "attestation mismatch: GPU GPU-0 is already attested for cluster 4"]
    full = Claim("a800-sxm-80g", nodes=1, gpus_per_node=8, attested_hosts=frozenset({"n1"}))
    assert compare(full, "n1", _gpus("NVIDIA A800-SXM4-80GB", 8), {}, NAMES) == ()
    assert [p.key for p in compare(full, "n2", _gpus("NVIDIA A800-SXM4-80GB", 8), {}, NAMES)] == [
        "mismatch_nodes"]
