"""Evidence files on applications, through the documents domain.

A buyer of the applying startup may attach files while the application is a draft or needs
review; the owning startup, the reviewers and program admins of the program's authority and
auditors may read them (documents.service.can_read), nobody else.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.applications import repository, states
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.documents import service as documents
from suanli.documents.models import Document, Purpose
from suanli.kit.errors import Conflict, NotFound
from suanli.programs import service as programs

OBJECT_TYPE = "application"


def _attach(session: Session, principal: Principal, object_id: str) -> documents.Attachment:
    application = repository.get(session, int(object_id)) if object_id.isdigit() else None
    if application is None or application.organisation_id not in principal.org_ids(Role.BUYER):
        raise NotFound(f"no application {object_id}", field="object_id")
    if application.status not in states.TAKES_EVIDENCE:
        raise Conflict(f"the application is {application.status}; evidence is added to a "
                       "draft or while it is reviewed", field="object_id")
    return documents.Attachment(owner_org_id=application.organisation_id,
                                purpose=Purpose.EVIDENCE)


def _readers(session: Session, document: Document) -> documents.Readers:
    object_id = document.object_id or ""
    application = repository.get(session, int(object_id)) if object_id.isdigit() else None
    if application is None:
        return documents.Readers()
    program = programs.get(session, application.program_id)
    return documents.Readers(org_ids=frozenset({program.authority_org_id}),
                             roles=frozenset({Role.REVIEWER, Role.PROGRAM_ADMIN}))


documents.register(OBJECT_TYPE, attach=_attach, readers=_readers)


def of(session: Session, application_id: int) -> list[Document]:
    """The evidence attached to an application (the caller has checked it may see it)."""
    return documents.for_object(session, OBJECT_TYPE, application_id, Purpose.EVIDENCE)


def attach(session: Session, principal: Principal, *, application_id: int, filename: str,
           data: bytes) -> Document:
    return documents.attach(session, principal, object_type=OBJECT_TYPE,
                            object_id=str(application_id), filename=filename, data=data)
