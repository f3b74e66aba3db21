"""Properties, checked with hypothesis on generated input: URL canonicalization (idempotent, no
tracking parameters or fragments, lower-case host, ValueError the only error) and date parsing
(never raises; None or a naive UTC datetime from 1995 to 2100)."""

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawlers.extract import choose_published, parse_date, plausible_date
from newsmon.domain import _is_tracking, absolute_url, canonical_url, normalize_url

TRACKING = ["utm_source", "UTM_Medium", "utm_campaign", "fbclid", "gclid", "_ga", "mc_eid", "pk_kwd", "at_medium"]
KEPT = ["id", "page", "q", "p", "story"]

label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
hosts = st.one_of(st.lists(label, min_size=1, max_size=4).map(".".join), st.ip_addresses(v=4).map(str),
                  st.ip_addresses(v=6).map(lambda address: f"[{address}]"))
segments = st.lists(st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF, blacklist_characters="/?#%"),
                            max_size=8), max_size=4)
params = st.lists(st.tuples(st.sampled_from(KEPT) | st.text(max_size=5), st.text(max_size=6)), max_size=4)


@st.composite
def urls(draw, tracking: bool = True) -> str:
    """http(s) URLs with mixed-case schemes and hosts, ports, odd path characters, tracking and
    ordinary parameters and fragments."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = "".join(c.upper() if draw(st.booleans()) else c for c in draw(hosts))
    port = draw(st.none() | st.integers(1, 65535))
    query = draw(params) + (draw(st.lists(st.tuples(st.sampled_from(TRACKING), st.text(max_size=6)), max_size=3))
                            if tracking else [])
    query = draw(st.permutations(query))
    fragment = draw(st.none() | st.text(max_size=6))
    return (f"{scheme}://{host}{f':{port}' if port else ''}/{'/'.join(draw(segments))}"
            f"{'?' + urlencode(query) if query else ''}{'#' + fragment if fragment is not None else ''}")


def _query_keys(url: str) -> list[str]:
    return [key for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("0 #")  # trailing space before a fragment
@example("\x08\x85\x08")  # control and Unicode space characters at the ends
@example("http://[::1]:8080/a")  # IPv6 keeps its brackets
@example("http://[oops/")
@example("http://e.example:99999/")
def test_normalize_url_is_idempotent_and_raises_only_value_error(text):
    try:
        once = normalize_url(text)
    except ValueError:
        return  # documented: text that does not split into a URL
    assert normalize_url(once) == once


@settings(max_examples=300, deadline=None)
@given(urls())
def test_normalized_urls_have_no_tracking_no_fragment_and_a_lower_case_host(url):
    normalized = normalize_url(url)
    parts = urlsplit(normalized)
    assert normalize_url(normalized) == normalized
    assert "#" not in normalized
    assert parts.scheme in ("http", "https") and parts.netloc == parts.netloc.lower()
    assert parts.hostname == urlsplit(url).hostname
    assert not any(_is_tracking(key) for key in _query_keys(normalized))
    assert sorted(_query_keys(normalized)) == sorted(key for key in _query_keys(url) if not _is_tracking(key))


@settings(max_examples=200, deadline=None)
@given(urls(tracking=False), st.lists(st.tuples(st.sampled_from(TRACKING), st.text(max_size=6)), min_size=1),
       st.text(max_size=6))
def test_tracking_parameters_fragments_and_host_case_do_not_change_the_article(url, tracking, fragment):
    plain = url.split("#", 1)[0]
    parts = urlsplit(plain)
    variant = parts._replace(netloc=parts.netloc.upper(),
                             query="&".join(q for q in (parts.query, urlencode(tracking)) if q)).geturl()
    assert normalize_url(f"{variant}#{fragment}") == normalize_url(plain)


@settings(max_examples=300, deadline=None)
@given(urls(), st.text() | urls() | st.none())
def test_canonical_url_never_raises_on_a_pages_canonical_link(url, link):
    canonical = canonical_url(url, link)
    assert canonical == normalize_url(canonical)
    assert canonical in (normalize_url(url), normalize_url(link or ""))


@settings(max_examples=300, deadline=None)
@given(urls(), st.text())
def test_absolute_url_never_raises_on_a_link(base, reference):
    joined = absolute_url(base, reference)
    assert joined is None or isinstance(normalize_url(joined), str)


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("2100-12-31T23:00:00-05:00")  # an offset moves it into 2101
@example("1970-01-01T00:00:00Z")
@example("31/12/99999999999999999999")
@example("9999-12-31T23:59:59-14:00")
def test_parse_date_never_raises_and_stays_in_range(text):
    parsed = parse_date(text)
    assert parsed is None or (parsed.tzinfo is None and 1995 <= parsed.year <= 2100)


aware = st.datetimes(min_value=datetime(1995, 1, 2), max_value=datetime(2100, 12, 30),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                timezone(timedelta(hours=-8))])).map(lambda d: d.replace(microsecond=0))


@settings(max_examples=300, deadline=None)
@given(aware, st.sampled_from(["iso", "rfc2822", "iso-utc"]))
def test_parse_date_reads_common_formats_as_utc(moment, form):
    text = {"iso": moment.isoformat(), "rfc2822": format_datetime(moment),
            "iso-utc": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}[form]
    assert parse_date(text) == moment.astimezone(UTC).replace(tzinfo=None)


dates = st.none() | st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))


@settings(max_examples=300, deadline=None)
@given(dates, dates, dates, st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_the_chosen_publication_date_is_plausible_or_first_sight(listed, page, url, first_seen):
    chosen, source, _, candidates, _ = choose_published(listed=listed, listed_in="feed", page=page, url=url,
                                                        first_seen=first_seen)
    assert plausible_date(chosen, first_seen) if source != "first_seen" else chosen == first_seen
    for name, value in (("feed", listed), ("page", page), ("url", url)):
        if value is not None:
            assert (name in candidates) != (f"{name}_rejected" in candidates)
