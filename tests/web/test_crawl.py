"""Every demo role follows every same-site link from every page it reaches (downloads and
assets included): none answers 4xx or 5xx. A link the viewer may not open is a bug."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from suanli.demo.build import USERS
from tests.web.world import build_world, crawl, logged_in


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from build_world(tmp_path_factory.mktemp("crawl"))


@pytest.mark.parametrize("username", [user[0] for user in USERS])
def test_no_link_is_broken(world: FastAPI, username: str) -> None:
    seen, broken, _ = crawl(logged_in(world, username))
    assert len(seen) > 10, seen
    assert not broken, "\n".join(sorted(broken))


def test_the_anonymous_visitor_finds_no_broken_link(world: FastAPI) -> None:
    seen, broken, _ = crawl(TestClient(world))
    assert "/login" in seen
    assert not broken, "\n".join(sorted(broken))
