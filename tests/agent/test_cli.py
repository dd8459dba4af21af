"""`suanli-agent` end to end: the installed command, a live platform, the fake NVML backend.

Each test runs the real console script in a subprocess, as an operator would on a node,
with the GPU inventory read from a file named by SUANLI_NVML_BACKEND.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from suanli.kit.db import unit_of_work
from suanli.providers import repository, service
from suanli.providers.models import CaseKind, CaseStatus, ClusterStatus
from suanli.providers.schemas import ClusterCreate, DataCentreCreate
from suanli_agent.signing import new_key_pair
from tests.agent.conftest import Platform

AGENT = str(Path(sys.executable).parent / "suanli-agent")


def run(*args: str, backend: str | None = None, token: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SUANLI_NVML_BACKEND"}
    if backend is not None:
        env["SUANLI_NVML_BACKEND"] = backend
    if token is not None:
        env["SUANLI_PROVIDER_TOKEN"] = token
    return subprocess.run([AGENT, *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def keygen(tmp_path: Path, name: str) -> tuple[Path, str]:
    """A cluster key pair as `suanli-agent keygen` writes it (made in-process: faster)."""
    path = tmp_path / f"{name}.key"
    private_pem, public = new_key_pair()
    path.write_bytes(private_pem)
    path.chmod(0o600)
    return path, public


def keygen_command(tmp_path: Path, name: str) -> tuple[Path, str]:
    """The real `suanli-agent keygen`: private key file (0600), public key printed."""
    path = tmp_path / f"{name}.key"
    result = run("keygen", "--out", str(path))
    assert result.returncode == 0, result.stderr
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    return path, result.stdout.strip()


def cluster(platform: Platform, *, model: str, nodes: int, per_node: int, public: str) -> int:
    with unit_of_work(platform.sessions) as session:
        dc = repository.data_centre_by_name(session, platform.org_id, "Zhongwei")
        if dc is None:
            dc = service.register_data_centre(session, org_ids={platform.org_id},
                                              data=DataCentreCreate(
                name="Zhongwei", hub_id="nx-zhongwei", operator_type="commercial",
                pue=Decimal("1.13"), green_share=Decimal("0.5"), racks=100))
        made = service.register_cluster(session, org_ids={platform.org_id}, data=ClusterCreate(
            data_centre_id=dc.id, name=f"{model}-{nodes}x{per_node}", accelerator_model=model,
            nodes=nodes, gpus_per_node=per_node, attestation_key=public))
        return made.id


def inventory(tmp_path: Path, name: str, count: int, host: str = "node-01") -> str:
    path = tmp_path / f"{host}.json"
    path.write_text(json.dumps({"hostname": host, "gpus": [
        {"index": i, "name": name, "uuid": f"GPU-{host}-{i}", "memory_total_mib": 81559}
        for i in range(count)]}), encoding="utf-8")
    return f"fake:{path}"


def attest(platform: Platform, cluster_id: int, key: Path, backend: str,
           ) -> subprocess.CompletedProcess[str]:
    return run("attest", "--cluster", str(cluster_id), "--key", str(key),
               "--platform", platform.url, backend=backend, token=platform.token)


def state(platform: Platform, cluster_id: int) -> tuple[ClusterStatus, list[Any]]:
    with unit_of_work(platform.sessions) as session:
        row = repository.cluster(session, cluster_id)
        assert row is not None
        cases = repository.cases_of(session, cluster_id, status=CaseStatus.OPEN,
                                    kind=CaseKind.ATTESTATION_MISMATCH)
        return ClusterStatus(row.status), [c.details for c in cases]


def test_matching_inventory_makes_the_cluster_listable(platform: Platform,
                                                       tmp_path: Path) -> None:
    key, public = keygen_command(tmp_path, "h20")
    cluster_id = cluster(platform, model="h20", nodes=1, per_node=8, public=public)
    result = attest(platform, cluster_id, key, inventory(tmp_path, "NVIDIA H20", 8))
    assert result.returncode == 0, result.stderr
    assert "match; cluster" in result.stdout and "is listable" in result.stdout
    assert state(platform, cluster_id) == (ClusterStatus.LISTABLE, [])
    with unit_of_work(platform.sessions) as session:
        assert service.attested_gpu_uuids(session, cluster_id) == {
            f"GPU-node-01-{i}" for i in range(8)}


def test_claims_a800_reports_h100_suspends_and_opens_a_case(platform: Platform,
                                                            tmp_path: Path) -> None:
    key, public = keygen(tmp_path, "a800")
    cluster_id = cluster(platform, model="a800-sxm-80g", nodes=1, per_node=8, public=public)
    result = attest(platform, cluster_id, key, inventory(tmp_path, "NVIDIA H100 80GB HBM3", 8))
    assert result.returncode == 1, result.stderr
    assert "mismatch: attestation mismatch: claims a800-sxm-80g, reports h100-sxm" in (
        result.stdout)
    status, cases = state(platform, cluster_id)
    assert status == ClusterStatus.SUSPENDED
    assert [p["text"] for p in cases[0]["problems"]] == [
        "attestation mismatch: claims a800-sxm-80g, reports h100-sxm"]


def test_claims_64_reports_48_suspends_and_opens_a_case(platform: Platform,
                                                        tmp_path: Path) -> None:
    key, public = keygen(tmp_path, "big")
    cluster_id = cluster(platform, model="h20", nodes=8, per_node=8, public=public)
    result = attest(platform, cluster_id, key, inventory(tmp_path, "NVIDIA H20", 6))
    assert result.returncode == 1, result.stderr
    assert "claims 64 GPUs (8 x 8 per node), node node-01 reports 6 (at most 48 in all)" in (
        result.stdout)
    status, cases = state(platform, cluster_id)
    assert status == ClusterStatus.SUSPENDED and len(cases) == 1


def test_a_key_the_platform_does_not_know_is_refused(platform: Platform,
                                                     tmp_path: Path) -> None:
    _, public = keygen(tmp_path, "registered")
    impostor, _ = keygen(tmp_path, "impostor")
    cluster_id = cluster(platform, model="h20", nodes=1, per_node=8, public=public)
    result = attest(platform, cluster_id, impostor, inventory(tmp_path, "NVIDIA H20", 8))
    assert result.returncode == 3
    assert result.stderr.startswith("error: signature: the platform refused the attestation "
                                    "(422): does not verify")
    assert state(platform, cluster_id) == (ClusterStatus.PENDING, [])


def test_without_nvml_the_agent_says_what_to_do(platform: Platform, tmp_path: Path) -> None:
    key, public = keygen(tmp_path, "real")
    cluster_id = cluster(platform, model="h20", nodes=1, per_node=8, public=public)
    result = attest(platform, cluster_id, key, "nvml")
    assert result.returncode == 4
    assert result.stderr.startswith("error: NVML is not available on this machine: install "
                                    "the NVIDIA driver")
    assert result.stdout == ""


def test_bad_options_exit_2_naming_the_option(platform: Platform, tmp_path: Path) -> None:
    key, _ = keygen(tmp_path, "k")
    bad_backend = attest(platform, 1, key, "cuda")
    assert bad_backend.returncode == 2 and bad_backend.stderr.startswith(
        "error: --nvml-backend: unknown NVML backend 'cuda'")
    again = run("keygen", "--out", str(key))
    assert again.returncode == 2 and "exists" in again.stderr


def test_register_posts_the_public_key_of_the_key_file(platform: Platform,
                                                       tmp_path: Path) -> None:
    key, public = keygen_command(tmp_path, "fresh")
    cluster_id = cluster(platform, model="h20", nodes=1, per_node=8, public="")
    result = run("register", "--cluster", str(cluster_id), "--key", str(key), "--platform",
                 platform.url, token=platform.token)
    assert result.returncode == 0, result.stderr
    assert f"registered the public key of cluster {cluster_id}" in result.stdout
    with unit_of_work(platform.sessions) as session:
        row = repository.cluster(session, cluster_id)
        assert row is not None and row.attestation_key == public
    attested = attest(platform, cluster_id, key, inventory(tmp_path, "NVIDIA H20", 8))
    assert attested.returncode == 0, attested.stderr
    other = run("register", "--cluster", "999999", "--key", str(key), "--platform",
                platform.url, token=platform.token)
    assert other.returncode == 3 and other.stderr.startswith(
        "error: cluster_id: the platform refused the key (404)")
    no_token = run("register", "--cluster", str(cluster_id), "--key", str(key),
                   "--platform", platform.url)
    assert no_token.returncode == 2 and no_token.stderr.startswith("error: --provider-token")
