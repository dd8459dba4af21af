"""Exit 0 when the PostgreSQL server in argv[1] (a SQLAlchemy URL) accepts connections."""

from __future__ import annotations

import sys

from sqlalchemy import create_engine, text


def reachable(url: str) -> bool:
    """True when a connection to `url` opens and answers within a few seconds."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:
        print(f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if reachable(sys.argv[1]) else 1)
