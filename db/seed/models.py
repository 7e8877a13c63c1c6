"""The shape of one seed record of each kind, as curators write it (see seeds/README.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Precision = Literal["DAY", "MONTH", "YEAR"]
_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


class FuzzyDate(NamedTuple):
    """A date known to a precision; `value` is the first day of the period."""

    value: dt.date
    precision: Precision


def parse_fuzzy_date(raw: Any) -> FuzzyDate:
    """`2023-11-15` (day), `2023-11` (month) or `2023` (year); the form is the precision."""
    if isinstance(raw, dt.datetime):
        raise ValueError("a date, not a date and time, is expected")
    if isinstance(raw, dt.date):
        return FuzzyDate(raw, "DAY")
    text = str(raw).strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return FuzzyDate(dt.date(int(text), 1, 1), "YEAR")
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = text.split("-")
            return FuzzyDate(dt.date(int(year), int(month), 1), "MONTH")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return FuzzyDate(dt.date.fromisoformat(text), "DAY")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")


def _exact_day(raw: Any) -> dt.date:
    parsed = parse_fuzzy_date(raw)
    if parsed.precision != "DAY":
        raise ValueError(f"{raw!r} must be a full day (YYYY-MM-DD); leave it out if unknown")
    return parsed.value


def _upper(raw: Any) -> Any:
    return raw.upper() if isinstance(raw, str) else raw


def _url(raw: Any) -> Any:
    if isinstance(raw, str) and not _URL.match(raw):
        raise ValueError(f"{raw!r} is not a well-formed http(s) URL")
    return raw


Date = Annotated[FuzzyDate, BeforeValidator(parse_fuzzy_date)]
Day = Annotated[dt.date, BeforeValidator(_exact_day)]
Slug = Annotated[str, Field(pattern=_SLUG)]
Url = Annotated[str, BeforeValidator(_url)]
Text = Annotated[str, Field(min_length=1)]
Confidence = Annotated[Literal["CONFIRMED", "SINGLE_SOURCE", "REPORTED", "DISPUTED"], BeforeValidator(_upper)]
Stance = Annotated[Literal["COOPERATIVE", "COMPETITIVE", "MIXED", "NEUTRAL"], BeforeValidator(_upper)]

ActorKind = Literal[
    "STATE",
    "GOVERNMENT_BODY",
    "LEGISLATURE",
    "REGULATOR",
    "MILITARY",
    "COMPANY",
    "RESEARCH_ORGANISATION",
    "MULTILATERAL_BODY",
    "THINK_TANK_NGO",
    "PERSON",
    "REGION",
]
EventCategory = Literal[
    "SUMMIT",
    "DIALOGUE",
    "AGREEMENT",
    "RESOLUTION",
    "STATEMENT",
    "NATIONAL_STRATEGY",
    "LEGISLATION",
    "REGULATION",
    "EXPORT_CONTROL",
    "ENTITY_LISTING",
    "SANCTION",
    "INVESTIGATION",
    "TARIFF",
    "INVESTMENT_RESTRICTION",
    "INVESTMENT",
    "MODEL_RELEASE",
    "PRODUCT_RELEASE",
    "MARKET_MOVE",
    "RESEARCH_COLLABORATION",
    "TALENT_MOBILITY",
    "MILITARY",
    "OTHER",
]
Role = Literal["INITIATOR", "COUNTERPART", "PARTICIPANT", "TARGET", "MEDIATOR", "OBSERVER"]
Instrument = Literal[
    "NATIONAL_STRATEGY",
    "LEGISLATION",
    "EXECUTIVE_ORDER",
    "REGULATION",
    "EXPORT_CONTROL",
    "ENTITY_LISTING",
    "INVESTMENT_SCREENING",
    "FUNDING_PROGRAMME",
    "INTERNATIONAL_AGREEMENT",
    "STANDARD_GUIDANCE",
    "TARIFF",
]
PolicyStatus = Literal["PROPOSED", "ENACTED", "IN_FORCE", "AMENDED", "SUSPENDED", "EXPIRED", "REPEALED"]
SourceKind = Literal["OFFICIAL_DOCUMENT", "NEWS", "RESEARCH", "DATASET", "OTHER"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Release(_Record):
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    date: Day
    notes: Text
    license: Text
    # The latest date any record's sources reach, so users know where "current" ends.
    coverage_ends: Day | None = None


class Topic(_Record):
    slug: Slug
    name: Text
    description: Text


class Source(_Record):
    slug: Slug
    title: Text
    publisher: Text
    url: Url
    published_on: Date | None = None
    accessed_on: Day
    kind: Annotated[SourceKind, BeforeValidator(_upper)]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]


class Actor(_Record):
    slug: Slug
    name: Text
    name_zh: str | None = None
    kind: Annotated[ActorKind, BeforeValidator(_upper)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    parent: Slug | None = None
    description: Text
    aliases: list[Text] = []
    sources: Annotated[list[Slug], Field(min_length=1)]


class Participation(_Record):
    actor: Slug
    role: Annotated[Role, BeforeValidator(_upper)]


class Event(_Record):
    slug: Slug
    title: Text
    summary: Text
    date: Date
    end_date: Date | None = None
    category: Annotated[EventCategory, BeforeValidator(_upper)]
    stance: Stance
    cooperation_score: Annotated[int, Field(ge=-10, le=10, strict=True)]
    score_rationale: Text
    significance: Annotated[int, Field(ge=1, le=5, strict=True)]
    actors: Annotated[list[Participation], Field(min_length=1)]
    policies: list[Slug] = []
    topics: list[Slug] = []
    sources: Annotated[list[Slug], Field(min_length=1)]
    confidence: Confidence
    confidence_note: str | None = None
    # The earlier event whose act this one carries out (its slug); the index counts the act
    # there, once. One level: the event named must not implement another itself.
    implements: Slug | None = None

    @field_validator("end_date")
    @classmethod
    def _end_not_before_start(cls, end: FuzzyDate | None, info: Any) -> FuzzyDate | None:
        start = info.data.get("date")
        if end is not None and start is not None and end.value < start.value:
            raise ValueError(f"end_date {end.value} is before date {start.value}")
        return end


class Policy(_Record):
    slug: Slug
    title: Text
    title_zh: str | None = None
    issuer: Slug
    jurisdiction: Annotated[str, Field(pattern=r"^([A-Z]{2}|INTL)$")]
    instrument: Annotated[Instrument, BeforeValidator(_upper)]
    status: Annotated[PolicyStatus, BeforeValidator(_upper)]
    announced_on: Day | None = None
    effective_on: Day | None = None
    ended_on: Day | None = None
    summary: Text
    official_url: Url | None = None
    stance: Stance
    topics: list[Slug] = []
    sources: Annotated[list[Slug], Field(min_length=1)]
    confidence: Confidence
    confidence_note: str | None = None
    # A status is a claim at a date: the latest source read that confirms it.
    status_as_of: Day | None = None
    # The stated end of a suspension or temporary status, when it is known to lapse.
    status_until: Day | None = None
    status_note: Text | None = None

    @field_validator("ended_on")
    @classmethod
    def _ended_not_before_announced(cls, ended: dt.date | None, info: Any) -> dt.date | None:
        announced = info.data.get("announced_on")
        if ended is not None and announced is not None and ended < announced:
            raise ValueError(f"ended_on {ended} is before announced_on {announced}")
        return ended


class Metric(_Record):
    slug: Slug
    name: Text
    description: Text
    unit: Text
    sources: Annotated[list[Slug], Field(min_length=1)]


class Observation(_Record):
    metric: Slug
    entity: Slug
    date: Date
    value: float
    source: Slug
    confidence: Confidence
    note: str | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("value must be a finite number")
        return value
