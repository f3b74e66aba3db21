"""The shared vocabulary: articles, sources and scores, and the one canonical-URL rule behind article ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit


class NewsmonError(Exception):
    """A failure with a message meant for the user: shown as one line, never as a traceback."""


class Unavailable(NewsmonError):
    """What was asked needs a store that cannot serve it now (out of reach, or not built yet): not
    the asker's mistake, and asking again later may work (the review app answers 503)."""


LABELS: tuple[str, ...] = ("integration", "decentralization")
SECTORS: tuple[str, ...] = (
    "manufacturing", "logistics", "healthcare", "education", "retail", "energy",
    "agriculture", "mobility", "finance", "media", "government",
)

# Query parameters that identify a campaign or a click, never the page itself.
_TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
    "yclid", "_ga", "_gl", "ref_src", "ref_url", "cmpid", "ocid", "sr_share", "guccounter",
    "__twitter_impression", "mkt_tok", "spm",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_EDGES = re.compile(r"^[\x00-\x20\s]+|[\x00-\x20\s]+$")  # control characters and spaces around a URL


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, user info, fragments and tracking parameters,
    sort the query. Idempotent: a normalized URL normalizes to itself.

    Raises ValueError for text that does not split into a URL: an unclosed IPv6 bracket, a port that
    is not a number from 0 to 65535, a host with characters that NFKC turns into URL delimiters."""
    parts = urlsplit(_EDGES.sub("", url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _is_tracking(k))
    return urlunsplit((scheme, host, _EDGES.sub("", parts.path) or "/", urlencode(query), ""))


def absolute_url(base: str, reference: str) -> str | None:
    """reference resolved against base; None when it cannot be parsed (one bad link in a feed or
    page must not cost the rest)."""
    try:
        joined = urljoin(base, reference.strip())
        urlsplit(joined).port  # noqa: B018 (raises for a port that is not one)
    except ValueError:
        return None
    return joined


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def canonical_url(url: str, canonical_link: str | None = None) -> str:
    """The URL an article is known by: its `rel=canonical` link when that stays on the same site (a
    link that does not parse is ignored). Raises ValueError as normalize_url does, for url only."""
    if canonical_link:
        try:
            link = urlsplit(canonical_link.strip())
            if link.scheme in ("http", "https") and _site(link.hostname) == _site(urlsplit(url).hostname):
                return normalize_url(canonical_link)
        except ValueError:
            pass
    return normalize_url(url)


def same_article_url(url: str) -> str:
    """A normalized URL as the identity of what it points to: http read as https, since a site
    that serves both gives the same article under each (the warehouse keeps the https one)."""
    return "https://" + url.removeprefix("http://") if url.startswith("http://") else url


def known_key(url: str) -> str:
    """What a crawl compares to decide a URL is already known: the normalized URL, scheme-free as
    article ids are. Raises ValueError as normalize_url does."""
    return same_article_url(normalize_url(url))


def article_id(canonical: str) -> str:
    """Stable id of an article: a hash of its canonical URL, with http read as https (the same
    article under either scheme has one id; migration 0011 re-keyed older http ids)."""
    return hashlib.sha256(same_article_url(canonical).encode("utf-8")).hexdigest()[:16]


_INLINE_SPACE = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")


# C0 controls but tab, newline and carriage return (text layout), DEL, C1 controls, and the bidi
# embeddings, overrides and isolates that can make a title read backwards on a terminal or in a mail.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """text without control characters and bidi overrides: page titles and authors reach terminals
    (`newsmon sql --format csv`), spreadsheets and the digest's HTML."""
    return _CONTROLS.sub("", text)


def normalize_text(text: str) -> str:
    """Unicode NFC, unified whitespace inside lines, no blank-line runs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in _INLINE_SPACE.sub(" ", text).split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def content_hash(text: str) -> str:
    """Hash of the text with case and whitespace folded, so trivial re-renders hash the same."""
    folded = _ANY_SPACE.sub(" ", normalize_text(text).casefold())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


def one_line(text: str | None, limit: int = 0) -> str:
    """Text on one line: no CR/LF (a header cannot be injected, a title cannot break a layout), no
    runs of spaces; cut to limit characters with an ellipsis when limit is given."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if not limit or len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def utc_now() -> datetime:
    """Now in UTC, naive, as the warehouse stores timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc_naive(value: datetime) -> datetime:
    """The warehouse stores UTC as naive timestamps; aware values are converted, naive ones taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def without_password(url: str) -> str:
    """A warehouse URL as messages show it: a DuckLake catalog's password=... masked."""
    return re.sub(r"(password=)\S+", r"\1***", url)


@dataclass(frozen=True)
class Article:
    """One extracted news article, as staged by a crawl and loaded into `articles`."""

    article_id: str
    url: str
    canonical_url: str
    source: str
    title: str
    text: str
    fetched_at: datetime
    author: str | None = None
    published_at: datetime | None = None
    published_from: str | None = None  # feed | sitemap | section | page | url | first_seen
    published_confidence: str | None = None  # high | medium | low
    published_candidates: dict[str, str] | None = None  # every source's date, ISO
    date_disagreement_hours: float | None = None
    language: str | None = None
    content_hash: str = ""
    extraction_method: str = ""
    feed_url: str | None = None
    run_id: str | None = None

    def to_record(self) -> dict:
        record = asdict(self)
        for key in ("fetched_at", "published_at"):
            if record[key] is not None:
                record[key] = record[key].isoformat()
        return record

    @classmethod
    def from_record(cls, record: dict) -> Article:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in record.items() if k in names}
        for key in ("fetched_at", "published_at"):
            if values.get(key):
                values[key] = utc_naive(datetime.fromisoformat(values[key]))
        return cls(**values)


@dataclass(frozen=True)
class Score:
    """A model's verdict on one label of one article."""

    article_id: str
    model_version: str
    label: str
    score: float
    flagged: bool
    evidence: str | None = None


@dataclass(frozen=True)
class Source:
    """A news source from sources.yaml."""

    name: str
    homepage: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # regexes an article URL from a section page must match (one of)
    exclude: tuple[str, ...] = ()  # regexes that rule a URL out
    language: str | None = None
    max_articles: int | None = None
    crawl_delay: float | None = None
    enabled: bool = True
    allow_private_hosts: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CrawlResult:
    """What one source's crawl did: the staging file it wrote and its health counts."""

    source: str
    run_id: str
    staging_path: str
    ok: bool
    articles: int = 0
    entries_seen: int = 0
    pages_fetched: int = 0
    skipped_known: int = 0
    failures: tuple[dict, ...] = ()
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: dict = field(default_factory=dict)
    feed_states: tuple[dict, ...] = ()  # conditional-GET state per listing (crawlers.conditional), like its table

    def to_record(self) -> dict:
        record = asdict(self)
        record["failures"] = list(self.failures)
        record["feed_states"] = list(self.feed_states)
        for key in ("started_at", "finished_at"):
            if record[key] is not None:
                record[key] = record[key].isoformat()
        return record

    @classmethod
    def from_record(cls, record: dict) -> CrawlResult:
        values = dict(record)
        values["failures"] = tuple(values.get("failures") or ())
        values["feed_states"] = tuple(values.get("feed_states") or ())
        for key in ("started_at", "finished_at"):
            if values.get(key):
                values[key] = utc_naive(datetime.fromisoformat(values[key]))
        return cls(**values)
