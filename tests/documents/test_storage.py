"""Upload checks by content, not by name or claimed type, and storage by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from suanli.documents import storage
from suanli.documents.errors import UploadRefused, UploadTooLarge

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(("name", "data", "media_type"), [
    ("report.pdf", PDF, "application/pdf"), ("chart.PNG", PNG, "image/png"),
    ("photo.jpeg", JPEG, "image/jpeg"), ("scan.jpg", JPEG, "image/jpeg"),
    ("notes.txt", "营业收入 3.2 m CNY\n".encode(), "text/plain"),
    ("revenue.csv", b"year,revenue\n2025,3200000.00\n", "text/csv"),
])
def test_allowed_types_are_detected_from_the_bytes(name: str, data: bytes,
                                                   media_type: str) -> None:
    checked = storage.check(data, name)
    assert checked.media_type == media_type
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("report.pdf", PNG, "not a PDF"), ("chart.png", PDF, "not a PNG"),
    ("tool.exe", b"MZ\x90\x00", "not accepted"), ("noext", PDF, "not accepted"),
    ("notes.txt", b"text\x00with a NUL", "not plain UTF-8"),
    ("data.csv", b"\xff\xfe\x00bad", "not plain UTF-8"), ("empty.pdf", b"", "empty"),
    ("page.html.pdf", b"<html><script>", "not a PDF"),
])
def test_other_content_is_refused_naming_the_file_field(name: str, data: bytes,
                                                        message: str) -> None:
    with pytest.raises(UploadRefused, match=message) as caught:
        storage.check(data, name)
    assert caught.value.field == "file" and caught.value.status == 422


def test_the_size_limit_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert storage.max_upload_bytes() == 10 * 1024 * 1024
    monkeypatch.setenv("SUANLI_MAX_UPLOAD_BYTES", "64")
    storage.check(PDF, "a.pdf")
    with pytest.raises(UploadTooLarge) as caught:
        storage.check(PDF + b" " * 64, "a.pdf")
    assert caught.value.status == 413 and caught.value.field == "file"


def test_names_are_cleaned() -> None:
    assert storage.clean_filename("../../etc/passwd.txt") == "passwd.txt"
    assert storage.clean_filename("C:\\Users\\x\\年报.pdf") == "年报.pdf"
    assert storage.clean_filename("a\x00b\u202e.pdf") == "ab.pdf"
    assert len(storage.clean_filename("x" * 300 + ".pdf")) == 200
    with pytest.raises(UploadRefused):
        storage.clean_filename("../")


def test_bytes_are_stored_once_by_hash_outside_served_folders(docs_dir: Path) -> None:
    digest = hashlib.sha256(PDF).hexdigest()
    path = storage.store(PDF, digest)
    assert path == docs_dir / digest[:2] / digest[2:4] / digest
    assert storage.store(PDF, digest) == path and storage.read(digest) == PDF
    assert [p.name for p in docs_dir.rglob("*") if p.is_file()] == [digest]
    static = Path(storage.__file__).parents[1] / "web" / "static"
    assert static not in path.parents
    with pytest.raises(ValueError):
        storage.blob_path("../../etc/passwd")
