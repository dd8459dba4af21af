"""Which catalogue model a GPU's reported name denotes (pure).

A GPU names itself through its vendor's tool: NVML (``NVIDIA H100 80GB HBM3``,
``NVIDIA A800-SXM4-80GB``), ``npu-smi`` (``Ascend910B3``), ``cnmon`` (``MLU370-X8``) and
so on. Each catalogue model lists the names its parts report; they are data, kept with
the model and editable by administrators. A reported name matches a listed one when they
are equal ignoring case and runs of white space; a name no model lists is unknown, which
an attestation treats as a mismatch: the platform never guesses what hardware it sees.
The packaged names are in ``data/reported_names.csv`` (``model,name``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from suanli.catalog.accelerators import CatalogError, iter_csv, load_accelerators, read_packaged

MAX_LENGTH = 128
MAX_NAMES = 50


def name_key(name: str) -> str:
    """The form names are compared in: case-folded, white space collapsed to one space."""
    return " ".join(name.split()).casefold()


def clean_name(name: str) -> str:
    """The name as stored: white space collapsed. ValueError says what is wrong."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("a reported name must not be blank")
    if len(cleaned) > MAX_LENGTH:
        raise ValueError(f"a reported name has at most {MAX_LENGTH} characters")
    if not cleaned.isprintable():
        raise ValueError("a reported name must not contain control characters")
    return cleaned


def clean_names(names: Iterable[str]) -> list[str]:
    """Each name cleaned, in order, without repeats (by key); ValueError names the name."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        try:
            name = clean_name(raw)
        except ValueError as exc:
            raise ValueError(f"{raw!r}: {exc}") from None
        if name_key(name) in seen:
            raise ValueError(f"{name!r} is listed twice")
        seen.add(name_key(name))
        out.append(name)
    if len(out) > MAX_NAMES:
        raise ValueError(f"at most {MAX_NAMES} reported names per model")
    return out


def model_for(name: str, table: Mapping[str, str]) -> str | None:
    """The model whose listed names include ``name``; ``table`` maps name keys to models.

    ("NVIDIA  h20", {"nvidia h20": "h20"}) -> "h20"; an unlisted name -> None.
    """
    return table.get(name_key(name))


def parse_reported_names(text: str, filename: str = "reported_names.csv"
                         ) -> dict[str, list[str]]:
    """Names per model from CSV text (``model,name``); a name listed for two models, or
    twice, is refused naming its line."""
    out: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for row in iter_csv(text, filename, ("model", "name")):
        model = row.text("model")
        try:
            name = clean_name(row.text("name"))
        except ValueError as exc:
            raise row.error("name", str(exc)) from None
        if name_key(name) in owner:
            raise row.error("name", f"{name!r} is already listed for {owner[name_key(name)]}")
        owner[name_key(name)] = model
        out.setdefault(model, []).append(name)
    return out


def packaged_reported_names() -> dict[str, list[str]]:
    """The names shipped with the catalogue, per model id."""
    names = parse_reported_names(read_packaged("reported_names.csv"))
    known = {spec.model for spec in load_accelerators()}
    unknown = sorted(set(names) - known)
    if unknown:
        raise CatalogError(f"reported_names.csv names models not in the catalogue: {unknown}")
    return names
