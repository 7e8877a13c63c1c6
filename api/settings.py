"""Typed settings, read from the environment (and nothing else)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from schema.limits import QueryLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="Postgres to use; unset means an embedded server with data in DATA_DIR.",
    )
    database_read_urls: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Comma-separated Postgres streaming replicas that API reads go to (README).",
    )
    database_pooler: Literal["none", "pgbouncer"] = Field(
        default="none",
        description="`pgbouncer`: DATABASE_URL/READ_URLS go through a transaction pooler (README).",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = PROJECT_ROOT / ".data"
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    cors_origins: Annotated[list[str], NoDecode] = ["*"]
    log_level: str = "info"
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    statement_timeout_ms: int = Field(
        default=5000, ge=100, description="Postgres `statement_timeout` of every API query."
    )
    persisted_queries_file: Path | None = None
    persisted_queries_only: bool = False
    web_concurrency: int = Field(default=1, ge=1, description="uvicorn worker processes `serve` runs.")
    prometheus_multiproc_dir: Path | None = Field(
        default=None, description="Where several workers share /metrics values (prometheus-client reads it)."
    )
    compression_min_bytes: int = Field(
        default=1024, ge=0, description="Smallest text answer sent coded (brotli or gzip)."
    )
    database_connect_timeout_s: float = Field(
        default=60.0, ge=0, description="How long startup retries its first database connection."
    )
    # Sharing between replicas (README "Running several replicas"): api/shared_cache.py,
    # api/ratelimit.py, api/release_events.py.
    redis_url: str | None = None
    database_listen_url: str | None = Field(
        default=None,
        description="Postgres the release listener connects to directly; unset: DATABASE_URL.",
    )
    redis_prefix: str = "detente:"
    rate_limit_keys: SecretStr | None = None
    rate_limit_keys_file: Path | None = None
    trusted_proxies: Annotated[list[str], NoDecode] = []

    # Limits of the HTTP layer (the schema's own are in schema/limits.py). Each is listed in
    # the README's Limits table; tests/api/test_limits_doc.py holds the table to these fields.
    request_timeout_ms: int = Field(
        default=10_000,
        ge=100,
        description="Deadline of one GraphQL request; its statements are cancelled after it.",
    )
    pool_timeout_ms: int = Field(
        default=2_000, ge=100, description="Wait for a database connection (connect or from the pool)."
    )
    replica_timeout_ms: int = Field(
        default=500,
        ge=10,
        description="Wait for a read replica's answer before checking it still answers; one that "
        "does not (frozen, hung) is skipped until a probe finds it answering.",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest POST body; beyond it 413.")
    max_query_string_bytes: int = Field(
        default=8_192, ge=256, description="Longest GET query string; beyond it 414."
    )
    body_timeout_s: float = Field(
        default=10.0, gt=0, description="Time a client has to send its whole body; then 408."
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, description="Time a client has to send a request's headers; then 408 and closed."
    )
    max_header_bytes: int = Field(
        default=65_536, ge=1024, description="Largest request line and headers; beyond it 431."
    )
    keepalive_timeout_s: int = Field(
        default=5, ge=1, description="Idle keep-alive connections are closed after it."
    )
    max_connections: int = Field(
        default=2_000,
        ge=1,
        description="Open connections per process; a connection beyond it gets 503 and is closed.",
    )
    max_requests_in_flight: int = Field(
        default=200, ge=1, description="Requests being answered at once per process; beyond it 503."
    )
    response_cache_entries: int = Field(default=2_048, ge=0, description="GET answers kept per process.")
    response_cache_bytes: int = Field(
        default=64 * 2**20, ge=0, description="Bytes of GET answers kept per process."
    )
    persisted_queries_max: int = Field(
        default=10_000, ge=0, description="Learned persisted queries kept (APQ)."
    )
    persisted_queries_bytes: int = Field(
        default=16 * 2**20, ge=0, description="Bytes of learned persisted queries kept."
    )

    redis_timeout_ms: int = Field(
        default=50, ge=1, description="Deadline of one Redis call; past it Redis counts as down."
    )
    shared_cache_entries: int = Field(
        default=50_000, ge=0, description="GET answers kept in Redis, for all replicas."
    )
    shared_cache_bytes: int = Field(
        default=256 * 2**20, ge=0, description="Bytes of GET answers kept in Redis, for all replicas."
    )
    shared_cache_ttl_s: int = Field(
        default=86_400, ge=1, description="Time an entry unused stays in Redis (answers, persisted queries)."
    )
    rate_limit_points: int = Field(
        default=0,
        ge=0,
        description="Query cost a client may spend per window (0: no rate limit); then 429.",
    )
    rate_limit_window_s: int = Field(default=60, ge=1, description="The rate limit's window.")

    @field_validator("cors_origins", "trusted_proxies", "database_read_urls", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    def query_limits(self) -> QueryLimits:
        """The schema's limits, each from the environment variable of its name in capitals."""
        return _QueryLimitsFromEnvironment()


class _QueryLimitsFromEnvironment(BaseSettings, QueryLimits):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)


# Settings that bound what a client can make the service do; with the schema's QueryLimits
# they make the README's Limits table (`limits_table`, tested against the README).
HTTP_LIMITS = (
    "request_timeout_ms",
    "statement_timeout_ms",
    "pool_timeout_ms",
    "replica_timeout_ms",
    "max_body_bytes",
    "max_query_string_bytes",
    "body_timeout_s",
    "header_timeout_s",
    "max_header_bytes",
    "keepalive_timeout_s",
    "max_connections",
    "max_requests_in_flight",
    "response_cache_entries",
    "response_cache_bytes",
    "persisted_queries_max",
    "persisted_queries_bytes",
    "redis_timeout_ms",
    "shared_cache_entries",
    "shared_cache_bytes",
    "shared_cache_ttl_s",
    "rate_limit_points",
    "rate_limit_window_s",
)


def limits_table() -> str:
    """The README's Limits table, made from the definitions."""
    rows = ["| variable | default | what it bounds |", "|---|---|---|"]
    for model, names in ((Settings, HTTP_LIMITS), (QueryLimits, tuple(QueryLimits.model_fields))):
        for name in names:
            info = model.model_fields[name]
            rows.append(f"| `{name.upper()}` | `{info.default}` | {info.description} |")
    return "\n".join(rows)
