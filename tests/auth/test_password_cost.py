"""The production password hash: argon2id at a cost an attacker feels (tests use a cheap one)."""

from __future__ import annotations

from argon2 import Type

from suanli.auth import passwords
from tests.conftest import PRODUCTION_HASHER


def test_production_passwords_use_argon2id_at_owasp_cost() -> None:
    # OWASP's minimum for argon2id: 19 MiB of memory, two passes.
    assert PRODUCTION_HASHER.type is Type.ID
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024
    assert PRODUCTION_HASHER.time_cost >= 2
    assert PRODUCTION_HASHER.hash("a password").startswith("$argon2id$")


def test_a_hash_from_either_cost_verifies_with_the_same_code() -> None:
    strong = PRODUCTION_HASHER.hash("correct horse battery")
    assert passwords.verify_password(strong, "correct horse battery")
    assert not passwords.verify_password(strong, "wrong horse battery")
    assert not passwords.verify_password(None, "correct horse battery")
