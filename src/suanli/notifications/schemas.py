"""Shapes of the notifications API: times in UTC (ISO 8601), money as CNY strings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from suanli.kit.money import POSITIVE_PATTERN, MoneyError, format_cny, parse_cny


def _cny(value: str) -> str:
    try:
        fen = parse_cny(value, field="value")
    except MoneyError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from exc
    if fen <= 0:
        raise ValueError("must be above zero")
    return value


MAX_ID = 2**63 - 1  # ids are BIGINT: a larger number is no id, not a server error
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Cny = Annotated[str, Field(examples=["50000.00"], max_length=24,
                           json_schema_extra={"pattern": POSITIVE_PATTERN}),
                AfterValidator(_cny)]


class NotificationRead(BaseModel):
    id: int
    event_id: str = Field(description="the event's id, as e-mails and webhooks carry it")
    kind: str = Field(description='what happened, e.g. "application.approved"')
    topic: str = Field(description='what it is filed under, e.g. "application.decided"')
    title: str
    body: str
    link: str = Field(description="the page it is about (a path)")
    occurred_at: datetime
    read_at: datetime | None


class UnreadRead(BaseModel):
    unread: int


class ChangedRead(BaseModel):
    changed: int


class TopicChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(max_length=64, examples=["application.decided"])
    inbox: bool = True
    email: bool = True


# What service._email accepts (a subset: it is the rule), for the OpenAPI document.
EMAIL_PATTERN = r"^[^\s\x00-\x1f<>,;\"@]+@[^\s\x00-\x1f<>,;\"@]+\.[^\s\x00-\x1f<>,;\"@]+$"


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=254,
                              json_schema_extra={"pattern": EMAIL_PATTERN},
                              description="where e-mails go (empty: no e-mail)")
    language: Literal["en", "zh"] = Field(default="en",
                                          description="the language of e-mails")
    digest: bool = Field(default=False, description="one e-mail a day instead of one per "
                                                    "event")
    topics: list[TopicChoice] = Field(default_factory=list, max_length=100,
                                      description="topics not listed keep their default: "
                                                  "every channel on")


class PreferencesRead(BaseModel):
    email: str | None
    language: str
    digest: bool
    email_available: bool = Field(description="false: the platform has no SMTP server "
                                              "configured, so no e-mail is sent")
    topics: list[TopicChoice]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, examples=["https://hooks.example.com/suanli"],
                     json_schema_extra={"pattern": r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/[!-~]*)?$"})
    topics: list[str] = Field(default_factory=list, max_length=100,
                              description="topics to receive; empty: every topic")
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                        description="needed when you belong to several")


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    topics: list[str] | None = Field(default=None, max_length=100)
    rotate_secret: bool = False


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    url: str
    topics: list[str]
    active: bool
    secret: str = Field(description="signs each delivery (HMAC-SHA256); keep it secret")
    created_at: datetime


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    ok: bool
    code: int | None = Field(description="the SMTP or HTTP response code")
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: int
    channel: str
    event_id: str
    kind: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None = Field(description="when it is tried again (pending)")
    delivered_at: datetime | None
    last_code: int | None
    last_error: str | None
    tries: list[AttemptRead]


class ThresholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold_cny: Cny | None = Field(description="warn once below this; null: no warning")


class WatchedRead(BaseModel):
    kind: Literal["voucher", "program"]
    id: int
    name: str
    available_cny: str
    threshold_cny: str | None


def cny(fen: int | None) -> str | None:
    return None if fen is None else format_cny(fen)
