"""Settings read from the environment, with defaults that run the demo on SQLite."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _data_dir() -> Path:
    return Path(os.environ.get("SUANLI_DATA_DIR", "./var")).resolve()


def _secret_key(data_dir: Path) -> str:
    env = os.environ.get("SUANLI_SECRET_KEY")
    if env:
        return env
    # A generated key kept beside the data survives restarts without being committed anywhere.
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str
    session_ttl_seconds: int = 8 * 3600
    login_max_failures: int = 5  # per account in the window
    login_max_failures_per_client: int = 20  # per client address in the window, any accounts
    login_window_seconds: int = 900
    secure_cookies: bool = False
    metrics_token: str | None = None  # when set, /metrics wants `Authorization: Bearer <it>`
    extra: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache to change them."""
    data_dir = _data_dir()
    return Settings(
        database_url=os.environ.get("SUANLI_DATABASE_URL", "sqlite:///./suanli.db"),
        data_dir=data_dir,
        secret_key=_secret_key(data_dir),
        session_ttl_seconds=int(os.environ.get("SUANLI_SESSION_TTL", str(8 * 3600))),
        login_max_failures_per_client=int(os.environ.get("SUANLI_LOGIN_MAX_FAILURES_PER_CLIENT",
                                                         "20")),
        secure_cookies=os.environ.get("SUANLI_SECURE_COOKIES", "") == "1",
        metrics_token=os.environ.get("SUANLI_METRICS_TOKEN") or None,
    )
