"""Why a cluster waits, as stored in English, registered for pages to translate."""

from __future__ import annotations

import re

from suanli.providers.screening import TEMPLATES
from suanli.web.render import REASONS


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                              for i, p in enumerate(parts)))


# Longer templates first, so "attestation mismatch: claims {claims}, reports ..." is not
# taken by a shorter one that happens to match.
REASONS.extend((_pattern(text), f"reason.{key}")
               for key, text in sorted(TEMPLATES.items(), key=lambda kv: -len(kv[1])))
