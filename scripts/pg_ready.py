"""Exit 0 when the PostgreSQL server in argv[1] (a SQLAlchemy URL) accepts connections."""

from __future__ import annotations

import sys

from sqlalchemy import create_engine, text


def main() -> int:
    url = sys.argv[1]
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        print(f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
