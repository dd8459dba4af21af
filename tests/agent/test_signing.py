"""The agent and the platform agree on what is signed: the same canonical bytes, and a
signature the agent makes verifies with the platform's code (they share no code)."""

from __future__ import annotations

from datetime import UTC, datetime

from suanli.providers import attestation as server
from suanli_agent import signing as agent


def test_canonical_bytes_and_signatures_agree() -> None:
    gpus = [{"index": 0, "name": "昇腾 Ascend 910B", "uuid": "GPU-ä", "memory_total_mib": 65536}]
    now = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    mine = agent.build_payload(cluster_id=7, hostname="n1", gpus=gpus, now=now, nonce="ab")
    theirs = server.build_payload(cluster_id=7, hostname="n1", gpus=gpus, now=now, nonce="ab")
    assert mine == theirs
    assert agent.canonical_json(mine) == server.canonical_json(theirs)
    pem, public = agent.new_key_pair()
    key = agent.load_private_key(pem)
    assert server.parse_public_key(public) == public == agent.public_key_text(key)
    assert server.verify(mine, agent.sign(mine, key), public)
    assert not server.verify({**mine, "cluster_id": 8}, agent.sign(mine, key), public)
