"""`suanli-agent collect`: GPU-busy intervals from dcgm-exporter (a real HTTP server in the
test) posted as usage to a real HTTP stub of the platform, across restarts and crashes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from suanli_agent import dcgm
from suanli_agent.collect import Collector, idempotency_key, load_state
from suanli_agent.spans import Span, step
from tests.agent.stubs import Exporter, Platform, scrape, serving

AGENT = str(Path(sys.executable).parent / "suanli-agent")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
A, B = "GPU-5fa1c2d4-aaaa", "GPU-5fa1c2d4-bbbb"


def test_reading_a_scrape() -> None:
    text = scrape({A: 87, B: 0})
    reading = dcgm.read(text)
    assert (reading.busy, reading.metric, reading.hostname) == (
        {A: True, B: False}, "DCGM_FI_DEV_GPU_UTIL", "node-01")
    both = text + scrape({A: 0.0, B: 0.42}, metric="DCGM_FI_PROF_GR_ENGINE_ACTIVE")
    assert dcgm.read(both).busy == {A: False, B: True}  # the engine-active ratio wins
    escaped = 'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-1",modelName="a \\"b\\", c"} 3 1700000000000\n'
    assert dcgm.read(escaped).busy == {"GPU-1": True}
    with pytest.raises(dcgm.ExporterError, match="serves neither"):
        dcgm.read('DCGM_FI_DEV_GPU_UTIL{gpu="0"} 5\nup 1\n')


def test_intervals_from_polls() -> None:
    gap, flush = timedelta(minutes=3), timedelta(hours=1)
    spans: dict[str, Span] = {}
    closed_all: list[Span] = []
    last = None
    for minute, busy in enumerate([{A: True, B: False}, {A: True, B: True}, {A: False, B: True},
                                   {A: False, B: True}]):
        now = T0 + minute * MINUTE
        spans, closed = step(spans, busy, now=now, last_poll=last, max_gap=gap,
                             flush_after=flush)
        closed_all += closed
        last = now
    assert closed_all == [Span(A, T0, T0 + MINUTE)]
    assert spans == {B: Span(B, T0 + MINUTE, T0 + 3 * MINUTE)}
    # a gap closes what was open at its last poll; a lone busy poll is no interval
    later = T0 + 10 * MINUTE
    spans, closed = step(spans, {B: True}, now=later, last_poll=last, max_gap=gap,
                         flush_after=flush)
    assert closed == [Span(B, T0 + MINUTE, T0 + 3 * MINUTE)] and spans == {
        B: Span(B, later, later)}
    # a GPU busy for longer than flush_after is cut there and goes on
    spans, closed = step({A: Span(A, T0, T0 + 59 * MINUTE)}, {A: True}, now=T0 + 60 * MINUTE,
                         last_poll=T0 + 59 * MINUTE, max_gap=gap, flush_after=flush)
    assert closed == [Span(A, T0, T0 + 60 * MINUTE)]
    assert spans == {A: Span(A, T0 + 60 * MINUTE, T0 + 60 * MINUTE)}
    # a GPU no longer reported is closed; an idle one with nothing open stays closed
    spans, closed = step({A: Span(A, T0, T0 + MINUTE)}, {B: False}, now=T0 + 2 * MINUTE,
                         last_poll=T0 + MINUTE, max_gap=gap, flush_after=flush)
    assert closed == [Span(A, T0, T0 + MINUTE)] and spans == {}


def _collector(exporter: str, platform: str, state: Path, client: httpx.Client) -> Collector:
    return Collector(exporter=exporter, platform=platform, token="sl_test", cluster_id=12,
                     state_path=state, interval=60, client=client)


def test_collect_posts_each_interval_once_across_restarts_and_crashes(tmp_path: Path) -> None:
    exporter = Exporter([scrape({A: 90, B: 0}), scrape({A: 95, B: 40}), scrape({A: 0, B: 41}),
                         scrape({A: 0, B: 0})])
    platform = Platform()
    state = tmp_path / "state.json"
    with serving(exporter=exporter) as exporter_url, serving(platform=platform) as platform_url, \
            httpx.Client() as client:
        first = _collector(exporter_url + "/metrics", platform_url, state, client)
        first.poll(T0)
        first.poll(T0 + MINUTE)
        assert first.post().accepted == 0 and platform.requests == []
        # the agent restarts: the open intervals come back from the state file
        second = _collector(exporter_url + "/metrics", platform_url, state, client)
        assert second.poll(T0 + 2 * MINUTE) == 1  # A went idle
        before_post = tmp_path / "before-post.json"
        shutil.copy(state, before_post)
        assert second.post().accepted == 1
        (request,) = platform.requests
        assert request["path"] == "/api/v1/metering/usage"
        assert request["auth"] == "Bearer sl_test"
        assert request["body"] == {"records": [{
            "cluster_id": 12, "gpu_uuids": [A], "start": "2026-03-02T08:00:00+00:00",
            "end": "2026-03-02T08:01:00+00:00",
            "ref": f"dcgm-exporter/{A}/20260302T080000Z"}]}
        assert request["key"] == idempotency_key(request["body"]["records"])
        # a crash after the post but before the state was saved: the same record is sent
        # again under the same key and ref, which the platform counts once
        shutil.copy(before_post, state)
        crashed = _collector(exporter_url + "/metrics", platform_url, state, client)
        assert crashed.post().accepted == 1
        assert platform.requests[1]["body"] == request["body"]
        assert platform.requests[1]["key"] == request["key"]
        crashed.poll(T0 + 3 * MINUTE)  # B went idle
        crashed.post()
        assert platform.requests[2]["body"]["records"] == [{
            "cluster_id": 12, "gpu_uuids": [B], "start": "2026-03-02T08:01:00+00:00",
            "end": "2026-03-02T08:02:00+00:00",
            "ref": f"dcgm-exporter/{B}/20260302T080100Z"}]
        assert load_state(state, 12).pending == []
        assert len(platform.requests) == 3


def test_an_unavailable_platform_keeps_records_and_a_refused_batch_is_set_aside(
        tmp_path: Path) -> None:
    exporter = Exporter([scrape({A: 90}), scrape({A: 90}), scrape({A: 0}), scrape({A: 50}),
                         scrape({A: 50}), scrape({A: 0})])
    platform = Platform(statuses=[503, 201, 422])
    state = tmp_path / "state.json"
    with serving(exporter=exporter) as exporter_url, serving(platform=platform) as platform_url, \
            httpx.Client() as client:
        collector = _collector(exporter_url, platform_url, state, client)
        for minute in range(3):
            collector.poll(T0 + minute * MINUTE)
        kept = collector.post()
        assert (kept.accepted, kept.kept) == (0, 1)
        assert collector.post().accepted == 1  # the next poll's post goes through
        for minute in range(3, 6):
            collector.poll(T0 + minute * MINUTE)
        refused = collector.post()
        assert (refused.accepted, refused.refused, refused.kept) == (0, 1, 0)
        saved = json.loads(state.read_text())
        assert saved["refused"][0]["ref"] == f"dcgm-exporter/{A}/20260302T080300Z"
        assert "refused by the stub" in saved["refused"][0]["reason"]


def _command(exporter: str, platform: str, state: Path, *extra: str
             ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUANLI_PROVIDER_TOKEN": "sl_cli"}
    return subprocess.run([AGENT, "collect", "--exporter", exporter, "--platform", platform,
                           "--cluster", "12", "--interval", "1", "--state", str(state),
                           *extra], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def test_the_collect_command(tmp_path: Path) -> None:
    exporter = Exporter([scrape({A: 90, B: 90}), scrape({A: 90, B: 90}), scrape({A: 0, B: 90}),
                         scrape({A: 0, B: 0})])
    platform = Platform()
    state = tmp_path / "collect.json"
    with serving(exporter=exporter) as exporter_url, serving(platform=platform) as platform_url:
        done = _command(exporter_url, platform_url, state, "--polls", "4")
        assert done.returncode == 0, done.stderr
        posted = [r["body"]["records"] for r in platform.requests]
        assert [[rec["gpu_uuids"] for rec in batch] for batch in posted] == [[[A]], [[B]]]
        for batch in posted:
            start, end = (datetime.fromisoformat(batch[0][k]) for k in ("start", "end"))
            assert start.utcoffset() == timedelta(0) and end > start
        again = _command(exporter_url, platform_url, state, "--polls", "1")
        assert again.returncode == 0 and len(platform.requests) == 2  # nothing twice
        platform.statuses = [503]
        exporter.scrapes = [scrape({A: 90}), scrape({A: 90}), scrape({A: 0})]
        exporter.served = 0
        down = _command(exporter_url, platform_url, state, "--polls", "3")
        assert down.returncode == 3
        assert "usage records are kept in" in down.stderr.splitlines()[-1]
        up = _command(exporter_url, platform_url, state, "--polls", "1")
        assert up.returncode == 0, up.stderr
        assert platform.requests[-1]["body"] == platform.requests[-2]["body"]
    wrong = _command("http://127.0.0.1:9/metrics", "http://127.0.0.1:9", state, "--polls", "1")
    assert wrong.returncode == 3 and wrong.stderr.startswith("error: --exporter: cannot read")
    other = subprocess.run([AGENT, "collect", "--exporter", "x", "--platform", "y",
                            "--cluster", "13", "--state", str(state), "--provider-token", "t",
                            "--polls", "1"], capture_output=True, text=True, timeout=60,
                           check=False)
    assert other.returncode == 2 and "holds the state of cluster 12" in other.stderr
