"""Check that an environment holds exactly the declared minimum of every direct dependency.

Usage: PYTHON scripts/check_floors.py pyproject.toml [agent/pyproject.toml ...]
Run with the interpreter of the environment `uv pip install --resolution lowest-direct`
made (`make test-floors`): each `name>=X` of `dependencies` and of the `dev` extra must be
installed at X. A floor that cannot be installed as such (another dependency needs more)
is reported, so the declared minimums stay the ones that are really tested.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.version import Version

FLOOR = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)\s*$")


def floors(pyproject: Path) -> dict[str, str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    specs = list(project.get("dependencies", []))
    specs += project.get("optional-dependencies", {}).get("dev", [])
    found = {}
    for spec in specs:
        match = FLOOR.match(spec)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def main() -> int:
    problems = []
    checked = 0
    for path in sys.argv[1:]:
        for name, floor in floors(Path(path)).items():
            try:
                installed = version(name)
            except PackageNotFoundError:
                problems.append(f"{path}: {name} is not installed")
                continue
            checked += 1
            if Version(installed) != Version(floor):
                problems.append(f"{path}: {name}>={floor} declared, {installed} installed: "
                                "raise the floor to what resolves")
    for problem in problems:
        print(problem)
    print(f"{checked} dependency floors checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
