"""`python bench/http.py`: Suanli over HTTP beside a same-stack baseline; the benchmark
itself is bench/http_load.py (see its docstring for the options).

A file named http.py in bench/ shadows the standard library's `http` for every script run
from bench/ (its folder comes first on sys.path), so imported under that name this module
stands in for the standard library's package instead.
"""

from __future__ import annotations

import importlib.util
import sys
import sysconfig
from pathlib import Path


def _standard_http() -> None:
    folder = Path(sysconfig.get_paths()["stdlib"]) / "http"
    spec = importlib.util.spec_from_file_location(
        "http", folder / "__init__.py", submodule_search_locations=[str(folder)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["http"] = module
    spec.loader.exec_module(module)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    from bench.http_load import main

    main()
else:
    _standard_http()
