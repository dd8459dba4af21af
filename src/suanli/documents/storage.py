"""Checking and storing uploaded bytes (no database).

A file is accepted when its name ends in an allowed extension and its first bytes are
those of that type (PDF, PNG, JPEG) or it is UTF-8 text without control characters
(plain text, CSV); the client's claimed content type is ignored. Files are stored once per
SHA-256 under `<data_dir>/documents/ab/cd/<sha256>`, outside every served folder, written
to a temporary name and renamed so that a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from suanli.config import get_settings
from suanli.documents.errors import UploadRefused, UploadTooLarge

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 200
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
TEXT_TYPES = frozenset({"text/plain", "text/csv"})
# Control characters other than tab, line feed, form feed and carriage return.
BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Checked:
    filename: str
    media_type: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    """The size limit in bytes: SUANLI_MAX_UPLOAD_BYTES, 10 MiB by default."""
    raw = os.environ.get("SUANLI_MAX_UPLOAD_BYTES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BYTES


def root() -> Path:
    """Where documents live: beside the database's data, never under a served folder."""
    return get_settings().data_dir / "documents"


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base)
                   if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    if not base:
        raise UploadRefused("the file needs a name", field="file")
    if len(base) > MAX_FILENAME:
        stem, dot, ext = base.rpartition(".")
        base = stem[: MAX_FILENAME - len(ext) - 1] + dot + ext if dot else base[:MAX_FILENAME]
    return base


def sniff(data: bytes, filename: str) -> str:
    """The media type of the bytes, which must agree with the file's extension."""
    ext = Path(filename).suffix.lower()
    expected = EXTENSIONS.get(ext)
    if expected is None:
        allowed = ", ".join(sorted(EXTENSIONS))
        raise UploadRefused(f"files of type {ext or '(none)'} are not accepted; allowed: "
                            f"{allowed}", field="file")
    if expected in TEXT_TYPES:
        if not _is_text(data):
            raise UploadRefused(f"{filename} is not plain UTF-8 text", field="file")
        return expected
    if not data.startswith(MAGIC[expected]):
        raise UploadRefused(f"the content of {filename} is not a {ext[1:].upper()} file",
                            field="file")
    return expected


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not BINARY.search(text)


def check(data: bytes, filename: str, *, limit: int | None = None) -> Checked:
    """Refuse an empty, oversized or mistyped file; otherwise its cleaned facts."""
    limit = limit or max_upload_bytes()
    if len(data) > limit:
        raise UploadTooLarge(f"the file is {len(data):,} bytes; the limit is {limit:,} bytes",
                             field="file", limit=limit)
    if not data:
        raise UploadRefused("the file is empty", field="file")
    name = clean_filename(filename)
    media_type = sniff(data, name)
    return Checked(name, media_type, len(data), hashlib.sha256(data).hexdigest())


def blob_path(sha256: str) -> Path:
    if not SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256[2:4] / sha256


def store(data: bytes, sha256: str) -> Path:
    """Write the bytes under their hash once; a second store of the same bytes is a no-op."""
    path = blob_path(sha256)
    if path.exists() and path.stat().st_size == len(data):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(sha256: str) -> bytes:
    return blob_path(sha256).read_bytes()
