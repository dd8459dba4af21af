"""Message catalogues for English and Simplified Chinese.

Every visible string on a page goes through `translate`; a test checks that both
catalogues hold the same keys and that templates use no key missing from them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUES = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "zh")
DEFAULT = "en"
LANG_COOKIE = "suanli_lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, merged from every `*.<lang>.json` file."""
    merged: dict[str, str] = {}
    for path in sorted(CATALOGUES.glob(f"*.{lang}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def translate(lang: str, key: str, **values: Any) -> str:
    """The message for `key`, formatted; falls back to English, then to the key itself."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return DEFAULT
