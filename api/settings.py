"""Typed settings, read from the environment (and nothing else)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="Postgres to use; unset means an embedded server with data in DATA_DIR.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = PROJECT_ROOT / ".data"
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    cors_origins: Annotated[list[str], NoDecode] = ["*"]
    log_level: str = "info"
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    statement_timeout_ms: int = Field(default=5000, ge=100)
    persisted_queries_file: Path | None = None
    persisted_queries_only: bool = False
    web_concurrency: int = Field(default=1, ge=1, description="uvicorn worker processes `serve` runs.")
    database_connect_timeout_s: float = Field(
        default=60.0, ge=0, description="How long startup retries its first database connection."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value
