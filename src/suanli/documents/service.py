"""Uploading documents and deciding who may read them.

Documents are generic: each has a purpose and, optionally, the object it is attached to
(`object_type`, `object_id`). A domain that takes documents registers, for its object type,
an *attach* hook (may this caller attach a file to that object, and which organisation owns
it?) and a *readers* hook (who besides the owner and auditors may read it, e.g. the
reviewers of the application's program). Applications register "application"; providers may
register "cluster" for provenance documents the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.documents import repository, storage
from suanli.documents.models import Document, Purpose
from suanli.kit.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class Readers:
    """Who else may read: holders of one of `roles` in one of `org_ids`, and holders of
    one of `anywhere` in any organisation (a platform-wide role such as the admin's)."""

    org_ids: frozenset[int] = frozenset()
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.REVIEWER}))
    anywhere: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Attachment:
    """Where an upload goes: the organisation that will own it and its purpose."""

    owner_org_id: int
    purpose: Purpose


AttachHook = Callable[[Session, Principal, str], Attachment]
ReadersHook = Callable[[Session, Document], Readers]
ATTACH_HOOKS: dict[str, AttachHook] = {}
READERS_HOOKS: dict[str, ReadersHook] = {}


def register(object_type: str, *, attach: AttachHook | None = None,
             readers: ReadersHook | None = None) -> None:
    """Let documents be attached to (and read through) objects of `object_type`."""
    if attach is not None:
        ATTACH_HOOKS[object_type] = attach
    if readers is not None:
        READERS_HOOKS[object_type] = readers


def snapshot(document: Document) -> dict[str, object]:
    return {"filename": document.filename, "media_type": document.media_type,
            "size": document.size, "sha256": document.sha256, "purpose": str(document.purpose),
            "object_type": document.object_type, "object_id": document.object_id}


def upload(session: Session, *, owner_org_id: int, uploaded_by: int | None, filename: str,
           data: bytes, purpose: Purpose, object_type: str | None = None,
           object_id: str | int | None = None) -> Document:
    """Check the bytes (size, type by content), store them by hash and record the upload."""
    checked = storage.check(data, filename)
    storage.store(data, checked.sha256)
    document = repository.add(session, Document(
        owner_org_id=owner_org_id, purpose=Purpose(purpose), object_type=object_type,
        object_id=None if object_id is None else str(object_id), filename=checked.filename,
        media_type=checked.media_type, size=checked.size, sha256=checked.sha256,
        uploaded_by=uploaded_by))
    audit.record(session, action="document.upload", object_type="document",
                 object_id=document.id, after=snapshot(document), organisation_id=owner_org_id)
    return document


def attach(session: Session, principal: Principal, *, object_type: str, object_id: str,
           filename: str, data: bytes) -> Document:
    """Upload a file onto an object through its domain's attach hook (which may refuse)."""
    hook = ATTACH_HOOKS.get(object_type)
    if hook is None:
        known = ", ".join(sorted(ATTACH_HOOKS)) or "none"
        raise ValidationFailed(f"documents cannot be attached to {object_type!r}; "
                               f"known: {known}", field="object_type")
    where = hook(session, principal, object_id)
    return upload(session, owner_org_id=where.owner_org_id, uploaded_by=principal.user_id,
                  filename=filename, data=data, purpose=where.purpose, object_type=object_type,
                  object_id=object_id)


def can_read(principal: Principal, document: Document, *,
             reviewer_org_ids: Collection[int] = (), extra: Readers | None = None) -> bool:
    """The owning organisation's members, auditors, reviewers of `reviewer_org_ids`, and
    whoever `extra` names may read a document; nobody else."""
    if document.owner_org_id in principal.org_ids():
        return True
    if principal.has_role(Role.AUDITOR):
        return True
    if any(principal.has_role(Role.REVIEWER, org) for org in reviewer_org_ids):
        return True
    return extra is not None and any(
        g.role in extra.anywhere
        or (g.role in extra.roles and g.organisation_id in extra.org_ids)
        for g in principal.grants)


def readers_of(session: Session, document: Document) -> Readers | None:
    hook = READERS_HOOKS.get(document.object_type or "")
    return None if hook is None else hook(session, document)


def readable(session: Session, principal: Principal, document_id: int,
             *, field_name: str = "document_id") -> Document:
    """The document when the caller may read it; NotFound otherwise (no existence leak)."""
    document = repository.get(session, document_id)
    if document is None or not can_read(principal, document,
                                        extra=readers_of(session, document)):
        raise NotFound(f"no document {document_id}", field=field_name)
    return document


def content(document: Document) -> bytes:
    """The stored bytes of a document."""
    return storage.read(document.sha256)


def for_object(session: Session, object_type: str, object_id: str | int,
               purpose: Purpose | None = None) -> list[Document]:
    """Documents attached to an object (callers check that the reader may see the object)."""
    return repository.for_object(session, object_type, str(object_id),
                                 None if purpose is None else str(purpose))


def count_for(session: Session, object_type: str, object_id: str | int,
              purpose: Purpose | None = None) -> int:
    return repository.count_for(session, object_type, str(object_id),
                                None if purpose is None else str(purpose))
