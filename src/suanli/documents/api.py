"""JSON routes of documents: upload onto an object, read the facts, download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.documents import permissions as perms
from suanli.documents import service, storage
from suanli.documents.errors import UploadTooLarge
from suanli.documents.models import Document
from suanli.documents.schemas import DocumentRead

router = APIRouter(tags=["documents"])
Uploader = Annotated[Principal, Guard(perms.DOCUMENTS_UPLOAD)]
Reader = Annotated[Principal, Guard(perms.DOCUMENTS_READ)]
MULTIPART_OVERHEAD = 64 * 1024


def view(document: Document) -> DocumentRead:
    return DocumentRead.model_validate({
        **{c: getattr(document, c) for c in (
            "id", "owner_org_id", "purpose", "object_type", "object_id", "filename",
            "media_type", "size", "sha256", "created_at")},
        "url": f"/api/v1/documents/{document.id}/content"})


def read_upload(request: Request, file: UploadFile) -> bytes:
    """The uploaded bytes, refusing more than the limit without reading all of it."""
    limit = storage.max_upload_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise UploadTooLarge(f"the upload is {int(declared):,} bytes; the limit is "
                             f"{limit:,} bytes", field="file", limit=limit)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"the file exceeds the limit of {limit:,} bytes", field="file",
                             limit=limit)
    return data


@router.post("/documents", response_model=DocumentRead, status_code=201,
             summary="Upload a file (PDF, PNG, JPEG, text, CSV; 10 MiB) onto an object you "
                     "own, such as your application (`object_type=application`)")
def upload_document(request: Request, session: DbSession, principal: Uploader,
                    _key: Idempotent,
                    object_type: Annotated[str, Form(min_length=1, max_length=32)],
                    object_id: Annotated[str, Form(min_length=1, max_length=64)],
                    file: Annotated[UploadFile, File()]) -> DocumentRead:
    data = read_upload(request, file)
    document = service.attach(session, principal, object_type=object_type,
                              object_id=object_id, filename=file.filename or "", data=data)
    return view(document)


@router.get("/documents/{document_id}", response_model=DocumentRead,
            summary="A document's facts (owner, reviewers of its program, auditors)")
def get_document(document_id: int, session: DbSession, principal: Reader) -> DocumentRead:
    return view(service.readable(session, principal, document_id))


@router.get("/documents/{document_id}/content", summary="Download a document's bytes",
            response_class=Response,
            responses={200: {"description": "The file, as an attachment", "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in sorted(set(storage.EXTENSIONS.values()))}}})
def download_document(document_id: int, session: DbSession, principal: Reader) -> Response:
    document = service.readable(session, principal, document_id)
    disposition = (f"attachment; filename=\"document-{document.id}{_suffix(document.filename)}\"; "
                   f"filename*=UTF-8''{quote(document.filename, safe='')}")
    return Response(service.content(document), media_type=document.media_type,
                    headers={"Content-Disposition": disposition,
                             "Cache-Control": "private, no-store"})


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""
