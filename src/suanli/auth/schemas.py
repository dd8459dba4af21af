"""Request and response shapes of the auth API."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from suanli.auth.roles import OrgKind, Role

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(description="Lower-case id such as `acme-ai` (3-64 characters)",
                      json_schema_extra={"pattern": SLUG.pattern})
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    kind: OrgKind
    city: str | None = Field(default=None, max_length=64)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("must be 3-64 lower-case letters, digits or '-'")
        return value


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    name_zh: str | None
    kind: OrgKind
    city: str | None
    created_at: datetime


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(description="Organisation slug")
    role: Role


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(json_schema_extra={"pattern": USERNAME.pattern})
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200)
    memberships: list[MembershipIn] = Field(default_factory=list)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not USERNAME.match(value):
            raise ValueError("must be 2-63 lower-case letters, digits, '.', '_' or '-'")
        return value


class MembershipRead(BaseModel):
    organisation_id: int
    organisation: str
    role: Role


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    is_active: bool
    memberships: list[MembershipRead]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret, shown once; store it now")


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    memberships: list[MembershipRead]
    via: str
