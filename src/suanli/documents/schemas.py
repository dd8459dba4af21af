"""Response shapes of the documents API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from suanli.documents.models import Purpose


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_org_id: int
    purpose: Purpose
    object_type: str | None
    object_id: str | None
    filename: str
    media_type: str = Field(description="Detected from the content, not the client's claim")
    size: int = Field(description="Bytes")
    sha256: str
    created_at: datetime
    url: str = Field(description="Where to download the content")
