"""The long-running loops: ``collect`` (poll and post usage) and ``run`` (attest on a
schedule and collect), stopped cleanly by SIGTERM or SIGINT after saving their state."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx

from suanli_agent.collect import Collector
from suanli_agent.errors import PLATFORM, AgentError


class Stop:
    """Set by SIGTERM/SIGINT; the loops sleep on it so that a stop is prompt."""

    def __init__(self) -> None:
        self.event = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.event.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when asked to stop."""
        return self.event.wait(max(0.0, seconds))


def log(line: str) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {line}", flush=True)


def warn(line: str) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} warning: {line}", file=sys.stderr,
          flush=True)


def _state_path(args: argparse.Namespace) -> Path:
    return Path(args.state or f"suanli-agent-collect-{args.cluster}.json")


def _collector(args: argparse.Namespace, token: str, client: httpx.Client) -> Collector:
    return Collector(exporter=args.exporter, platform=args.platform, token=token,
                     cluster_id=args.cluster, state_path=_state_path(args),
                     interval=args.interval, client=client)


def _collect_once(collector: Collector, *, strict: bool) -> None:
    """One poll and one post; problems are warnings unless ``strict`` (a single poll)."""
    try:
        closed = collector.poll()
    except AgentError as exc:
        if strict or exc.field == "--state":
            raise
        warn(f"{exc.field}: {exc}")
        closed = 0
    posted = collector.post()
    if closed or posted.accepted or posted.refused:
        log(f"usage: {closed} intervals closed, {posted.accepted} records accepted, "
            f"{posted.refused} refused, {posted.kept} pending")


def _finish(collector: Collector) -> int:
    kept = len(collector.state.pending)
    if kept:
        print(f"error: --platform: {kept} usage records are kept in {collector.state_path}; "
              "they are posted on the next run", file=sys.stderr, flush=True)
        return PLATFORM
    return 0


def collect_loop(args: argparse.Namespace, token: str) -> int:
    """Poll every --interval seconds until --polls or a stop signal."""
    stop = Stop()
    with httpx.Client(timeout=30.0) as client:
        collector = _collector(args, token, client)
        polls = 0
        while True:
            started = time.monotonic()
            _collect_once(collector, strict=args.polls == 1)
            polls += 1
            if args.polls is not None and polls >= args.polls:
                break
            if stop.wait(args.interval - (time.monotonic() - started)):
                break
        return _finish(collector)


def _attest(args: argparse.Namespace, token: str) -> None:
    from suanli_agent.attest import attest
    from suanli_agent.cli import reader

    try:
        posted = attest(platform=args.platform, token=token, cluster_id=args.cluster,
                        key_path=args.key, reader=reader(args.nvml_backend),
                        hostname=args.hostname)
    except AgentError as exc:
        if exc.exit_code != PLATFORM:
            raise  # a bad key or inventory does not mend itself
        warn(f"{exc.field}: {exc}")
        return
    body = posted.body
    log(f"attestation {body['id']}: {body['verdict']}; cluster {args.cluster} is "
        f"{body['cluster_status']}")
    for problem in body.get("problems", []):
        warn(f"mismatch: {problem['text']}")


def run_loop(args: argparse.Namespace, token: str) -> int:
    """Attest at start and every --attest-every seconds; collect every --interval seconds
    when --exporter is given. Ends after --polls polls (tests) or on a stop signal."""
    stop = Stop()
    with httpx.Client(timeout=30.0) as client:
        collector = _collector(args, token, client) if args.exporter else None
        next_attest = time.monotonic()
        polls = 0
        while True:
            started = time.monotonic()
            if started >= next_attest:
                _attest(args, token)
                next_attest = started + args.attest_every
            if collector is not None:
                _collect_once(collector, strict=False)
            polls += 1
            if args.polls is not None and polls >= args.polls:
                break
            wait = args.interval if collector is not None else args.attest_every
            if stop.wait(wait - (time.monotonic() - started)):
                break
        return _finish(collector) if collector is not None else 0

