"""Usage reported as JSON: the API's records and JSON Lines files (pure).

One record is a stretch of GPU time on one contract, either for a count of GPUs (`gpus`,
optionally with the `gpu_seconds` actually used) or for named GPUs (`gpu_uuids`: each counts
for the whole interval and becomes a record of its own, so that reconciliation can check it
against the cluster's attested GPUs and the contract's placement). Times need a UTC offset.
`ref` is the reporter's own reference (a job id); when absent the interval stands in for
it. Re-sending a record with the same contract, ref and GPU adds nothing.

A record may name a cluster instead of a contract (`cluster_id` with `gpu_uuids`, as the
provider agent sends them): the platform attributes each GPU's interval to the contracts
whose placement held that GPU at the time, splitting it at contract boundaries.

A file holds one record per line (JSON Lines), so a refused record is named by its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from suanli.kit.timeutil import as_utc
from suanli.metering.rows import (
    MAX_REF,
    MAX_UUID,
    Item,
    Parsed,
    RowError,
    Source,
    Tally,
    UsageRow,
    check_span,
    interval_ref,
)

MAX_GPUS = 100_000
MAX_TOKENS = 10**15  # per record; far above any real batch, far below BigInteger


class UsageRecordIn(BaseModel):
    """One usage record as a provider reports it: GPU time on a contract or cluster, or
    tokens of a model service (`subscription_id`, `model`, `tokens_in`, `tokens_out`)."""

    model_config = ConfigDict(extra="forbid")

    subscription_id: int | None = Field(default=None, ge=1,
                                        description="A model-service subscription: the record "
                                                    "reports tokens, not GPU time")
    contract_id: int | None = Field(default=None, ge=1,
                                    description="The contract the GPU time was delivered "
                                                "under (or give `cluster_id`)")
    cluster_id: int | None = Field(default=None, ge=1, validate_default=True,
                                   description="The cluster of the named GPUs: the platform "
                                               "finds their contracts from the placement")
    ref: str | None = Field(default=None, min_length=1, max_length=MAX_REF,
                            description="Your reference (e.g. a job id); makes re-sending safe")
    start: AwareDatetime = Field(description="Start, ISO 8601 with a UTC offset")
    end: AwareDatetime = Field(description="End, ISO 8601 with a UTC offset")
    gpu_uuids: list[str] | None = Field(default=None, min_length=1, max_length=4096,
                                        description="The GPUs by UUID (or give `gpus`)")
    gpus: int | None = Field(default=None, ge=1, le=MAX_GPUS, validate_default=True,
                             description="A count of GPUs (or give `gpu_uuids`)")
    gpu_seconds: int | None = Field(default=None, ge=1,
                                    description="GPU-seconds used, at most gpus x duration; "
                                                "only with `gpus` (default: all of it)")
    utilisation_pct: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    model: str | None = Field(default=None, validate_default=True, min_length=1, max_length=100,
                              description="With subscription_id: the registered model used "
                                          "(as the offer names it)")
    tokens_in: int | None = Field(default=None, validate_default=True, ge=0, le=MAX_TOKENS,
                                  description="With subscription_id: input tokens")
    tokens_out: int | None = Field(default=None, validate_default=True, ge=0, le=MAX_TOKENS,
                                   description="With subscription_id: output tokens")

    @field_validator("cluster_id")
    @classmethod
    def _contract_or_cluster(cls, cluster: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("subscription_id") is not None:
            if info.data.get("contract_id") is not None or cluster is not None:
                raise ValueError("a token record names subscription_id, not a contract or "
                                 "cluster")
            return cluster
        if "contract_id" in info.data and (info.data["contract_id"] is None) == (cluster is None):
            raise ValueError("give either contract_id or cluster_id")
        return cluster

    @field_validator("end")
    @classmethod
    def _forward(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        problem = None if start is None else check_span(start, end)
        if problem is not None:
            raise ValueError(problem)
        return end

    @field_validator("gpu_uuids")
    @classmethod
    def _uuids(cls, uuids: list[str] | None) -> list[str] | None:
        if uuids is not None:
            if any(not u.strip() or len(u) > MAX_UUID for u in uuids):
                raise ValueError(f"each must be 1-{MAX_UUID} characters")
            if len(set(uuids)) != len(uuids):
                raise ValueError("a GPU is named twice")
        return uuids

    @field_validator("gpus")
    @classmethod
    def _one_of(cls, gpus: int | None, info: ValidationInfo) -> int | None:
        named = info.data.get("gpu_uuids") is not None
        if info.data.get("subscription_id") is not None:
            if gpus is not None or named:
                raise ValueError("a token record reports tokens, not GPUs")
            return gpus
        if (gpus is None) != named and "gpu_uuids" in info.data:
            raise ValueError("give either gpus or gpu_uuids")
        if gpus is not None and info.data.get("cluster_id") is not None:
            raise ValueError("with cluster_id, name the GPUs by gpu_uuids")
        return gpus

    @field_validator("gpu_seconds")
    @classmethod
    def _used(cls, used: int | None, info: ValidationInfo) -> int | None:
        if used is None:
            return None
        if info.data.get("gpu_uuids") is not None:
            raise ValueError("only with gpus; a named GPU counts for the whole interval")
        gpus, start, end = info.data.get("gpus"), info.data.get("start"), info.data.get("end")
        limit = gpus * int((end - start).total_seconds()) if gpus and start and end else None
        if limit is not None and used > limit:
            raise ValueError(f"more than gpus x duration ({limit})")
        return used


    @field_validator("model", "tokens_in", "tokens_out")
    @classmethod
    def _token_field(cls, value: object, info: ValidationInfo) -> object:
        """Each token field is given exactly when the record names a subscription."""
        token_record = info.data.get("subscription_id") is not None
        if not token_record and value is not None:
            raise ValueError("only with subscription_id (a token record)")
        if token_record and value is None:
            raise ValueError("a token record gives model, tokens_in and tokens_out")
        if info.field_name == "tokens_out" and token_record \
                and value == 0 and info.data.get("tokens_in") == 0:
            raise ValueError("a token record reports at least one token")
        return value


def to_rows(record: UsageRecordIn, line: int) -> list[UsageRow]:
    """The usage rows of one record: one per named GPU, or one for the count (a token
    record has none: it goes to the model service, `metering.tokens`)."""
    if record.subscription_id is not None:
        return []
    start, end = as_utc(record.start), as_utc(record.end)
    ref = record.ref or interval_ref(start, end)
    seconds = int((end - start).total_seconds())
    util = None if record.utilisation_pct is None else float(record.utilisation_pct)
    if record.gpu_uuids is not None:
        return [UsageRow(line, Source.JSON, ref, record.contract_id, uuid.strip(), 1, start, end,
                         seconds, util, cluster_id=record.cluster_id)
                for uuid in record.gpu_uuids]
    gpus = record.gpus or 0
    used = record.gpu_seconds if record.gpu_seconds is not None else gpus * seconds
    return [UsageRow(line, Source.JSON, ref, record.contract_id, None, gpus, start, end, used,
                     util)]


def error_of(exc: ValidationError, line: int) -> RowError:
    """The first problem of a validation error, naming its field."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return RowError(line, message, field=loc or None)


def parse(text: str | Iterable[str]) -> Parsed:
    """Rows and row errors of a whole JSON Lines file (small inputs; the importer streams)."""
    parsed = Parsed()
    return parsed.take(stream(text, parsed))


def stream(text: str | Iterable[str], tally: Tally) -> Iterator[Item]:
    """Rows and row errors of a JSON Lines file, line by line (blank lines are ignored)."""
    lines = text.splitlines() if isinstance(text, str) else (ln.rstrip("\r\n") for ln in text)
    for number, line in enumerate(lines, start=1):
        tally.lines = number
        if not line.strip():
            continue
        try:
            record = UsageRecordIn.model_validate_json(line)
        except ValidationError as exc:
            yield error_of(exc, number)
            continue
        if record.subscription_id is not None:
            yield RowError(number, "token usage is reported through the usage API",
                           field="subscription_id")
            continue
        yield from to_rows(record, number)
