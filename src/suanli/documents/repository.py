"""SQL of the documents domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.documents.models import Document


def get(session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def add(session: Session, document: Document) -> Document:
    session.add(document)
    session.flush()
    return document


def for_object(session: Session, object_type: str, object_id: str,
               purpose: str | None = None) -> list[Document]:
    stmt = select(Document).where(Document.object_type == object_type,
                                  Document.object_id == object_id)
    if purpose is not None:
        stmt = stmt.where(Document.purpose == purpose)
    return list(session.execute(stmt.order_by(Document.id)).scalars())


def count_for(session: Session, object_type: str, object_id: str,
              purpose: str | None = None) -> int:
    stmt = select(func.count()).select_from(Document).where(
        Document.object_type == object_type, Document.object_id == object_id)
    if purpose is not None:
        stmt = stmt.where(Document.purpose == purpose)
    return int(session.execute(stmt).scalar_one())
