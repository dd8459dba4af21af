"""Signed checkpoints catch the insider who rewrites the chain and its head, or cuts the
tail and moves the head back: both pass plain `audit verify`, neither passes
`audit verify --checkpoints`."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from suanli.audit import chain, checkpoint
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work


def _seed(url: str, start: int, count: int) -> None:
    with unit_of_work(make_sessionmaker(make_engine(url))) as session:
        for n in range(start, start + count):
            auth_service.create_organisation(session, slug=f"org-{n}", name=f"Org {n}",
                                             kind=OrgKind.STARTUP)


def _cli(url: str, monkeypatch: Any, *args: str) -> tuple[int, str]:
    from suanli.cli import app
    from suanli.config import get_settings

    monkeypatch.setenv("SUANLI_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", *args])
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return checkpoint.generate_keys(tmp_path / "regulator")


def _checkpointed(url: str, monkeypatch: Any, keys: tuple[Path, Path], folder: Path) -> None:
    """Three records, a checkpoint of record 3, then two more records."""
    _seed(url, 0, 3)
    code, out = _cli(url, monkeypatch, "checkpoint", "--key", str(keys[0]), "--dir",
                     str(folder))
    assert code == 0, out
    assert "record 3" in out
    _seed(url, 3, 2)


def _verify(url: str, monkeypatch: Any, keys: tuple[Path, Path], folder: Path
            ) -> tuple[int, str]:
    return _cli(url, monkeypatch, "verify", "--checkpoints", str(folder), "--public-key",
                str(keys[1]))


def _rewrite_from(url: str, seq: int) -> None:
    """The insider: edit record `seq`, recompute its hash and every later one, move the head."""
    from suanli.audit.models import AuditHead, AuditRecord

    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        prev = chain.GENESIS
        for row in session.scalars(select(AuditRecord).order_by(AuditRecord.seq)):
            if row.seq == seq:
                row.actor = "mallory"
            entry = chain.Entry(seq=row.seq, at=row.at, actor_user_id=row.actor_user_id,
                                actor=row.actor, organisation_id=row.organisation_id,
                                action=row.action, object_type=row.object_type,
                                object_id=row.object_id, before=row.before, after=row.after,
                                prev_hash=prev)
            prev = row.hash = chain.entry_hash(entry)
            row.prev_hash = entry.prev_hash
        head = session.get(AuditHead, 1)
        assert head is not None
        head.hash = prev
    engine.dispose()


def _truncate_to(url: str, seq: int) -> None:
    """The insider: cut every record after `seq` and move the head back onto it."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq > :s"), {"s": seq})
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = "
                          "(SELECT hash FROM audit_records WHERE seq = :s)"), {"s": seq})
    engine.dispose()


def test_a_rewritten_chain_passes_plain_verify_but_not_the_checkpoints(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    _checkpointed(fresh_database, monkeypatch, keys, folder)
    code, out = _verify(fresh_database, monkeypatch, keys, folder)
    assert code == 0, out
    assert "5 records and every signed checkpoint" in out
    _rewrite_from(fresh_database, 2)
    code, out = _cli(fresh_database, monkeypatch, "verify")
    assert code == 0, out  # the chain agrees with itself: plain verify is fooled
    code, out = _verify(fresh_database, monkeypatch, keys, folder)
    assert code == 1
    assert "record 3 has another hash" in out and "rewritten" in out
    # and the checkpoint command refuses to vouch for the rewritten chain
    code, out = _cli(fresh_database, monkeypatch, "checkpoint", "--key", str(keys[0]),
                     "--dir", str(folder))
    assert code == 1
    assert "no longer has the hash of the last checkpoint" in out


def test_a_rewrite_after_the_checkpoint_is_not_caught_by_it(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    _checkpointed(fresh_database, monkeypatch, keys, folder)
    _rewrite_from(fresh_database, 4)  # newer than any signed head: nothing pins it yet
    assert _verify(fresh_database, monkeypatch, keys, folder)[0] == 0


def test_a_truncated_chain_passes_plain_verify_but_not_the_checkpoints(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    _checkpointed(fresh_database, monkeypatch, keys, folder)
    _truncate_to(fresh_database, 2)
    code, out = _cli(fresh_database, monkeypatch, "verify")
    assert code == 0, out
    assert "2 records" in out
    code, out = _verify(fresh_database, monkeypatch, keys, folder)
    assert code == 1
    assert "record 3 is missing" in out and "cut below a signed head" in out


def test_a_tampered_checkpoint_is_refused(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    _checkpointed(fresh_database, monkeypatch, keys, folder)
    _truncate_to(fresh_database, 2)
    (path,) = folder.glob("checkpoint-*.json")
    data = json.loads(path.read_text())
    data["seq"] = 2  # move the signed head back with the chain's
    data["hash"] = _head_hash(fresh_database)
    path.write_text(json.dumps(data))
    code, out = _verify(fresh_database, monkeypatch, keys, folder)
    assert code == 1
    assert path.name in out and "signature does not verify" in out


def test_a_checkpoint_signed_by_another_key_is_refused(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    _seed(fresh_database, 0, 2)
    mallory = checkpoint.generate_keys(tmp_path / "mallory")
    code, out = _cli(fresh_database, monkeypatch, "checkpoint", "--key", str(mallory[0]),
                     "--dir", str(folder))
    assert code == 0, out
    code, out = _verify(fresh_database, monkeypatch, keys, folder)
    assert code == 1
    assert "signed by key" in out and "another key" in out
    assert _verify(fresh_database, monkeypatch, mallory, folder)[0] == 0


def test_verify_with_no_checkpoints_or_half_the_options_fails(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out = _verify(fresh_database, monkeypatch, keys, tmp_path / "empty")
    assert code == 1 and "no checkpoints" in out
    code, out = _cli(fresh_database, monkeypatch, "verify", "--checkpoints", str(tmp_path))
    assert code == 2 and "go together" in out


def _head_hash(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text("SELECT hash FROM audit_head")).scalar_one()
    engine.dispose()
    return str(value)


def test_keygen_makes_a_private_key_only_its_owner_reads(
        fresh_database: str, monkeypatch: Any, tmp_path: Path) -> None:
    code, out = _cli(fresh_database, monkeypatch, "keygen", "--out", str(tmp_path / "k"))
    assert code == 0, out
    private = tmp_path / "k" / checkpoint.PRIVATE_NAME
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert checkpoint.load_public(tmp_path / "k" / checkpoint.PUBLIC_NAME)
    code, out = _cli(fresh_database, monkeypatch, "keygen", "--out", str(tmp_path / "k"))
    assert code == 2 and "not overwriting" in out
    private.chmod(0o644)
    with pytest.raises(checkpoint.CheckpointError, match="readable by others"):
        checkpoint.load_private(private)


@pytest.fixture
def regulator() -> Iterator[tuple[str, list[bytes]]]:
    """A webhook of the regulator's on localhost that keeps what it is sent."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/checkpoints", received
    server.shutdown()
    server.server_close()


def test_the_worker_checkpoints_on_schedule_and_posts_to_the_webhook(
        fresh_database: str, monkeypatch: Any, keys: tuple[Path, Path], tmp_path: Path,
        regulator: tuple[str, list[bytes]]) -> None:
    from suanli.integrity.checkpoints import _scheduled

    folder = tmp_path / "checkpoints"
    for name, value in (("INTERVAL", "60"), ("KEY", str(keys[0])), ("DIR", str(folder)),
                        ("WEBHOOK", regulator[0])):
        monkeypatch.setenv(f"SUANLI_AUDIT_CHECKPOINT_{name}", value)
    _seed(fresh_database, 0, 2)
    factory = make_sessionmaker(make_engine(fresh_database))
    stop = threading.Event()
    stop.set()  # one pass, as `suanli worker --once`
    _scheduled(factory, stop)
    _scheduled(factory, stop)  # the head has not moved: no second file
    files = list(folder.glob("checkpoint-*.json"))
    assert len(files) == 1
    (posted,) = regulator[1]
    point = checkpoint.parse(posted.decode(), name="posted")
    assert point.seq == 2 and checkpoint.signature_ok(point, checkpoint.load_public(keys[1]))
    assert _verify(fresh_database, monkeypatch, keys, folder)[0] == 0
