"""The crawler's address guard without a network: pure checks, and the middleware over a fake resolver."""

import asyncio
from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request

from crawlers import middlewares
from crawlers.guard import address_refusal, addresses_refusal, on_domains, scheme_refusal
from crawlers.middlewares import AddressGuardMiddleware, BlockedRequest, GuardedResolver
from newsmon.config import Settings
from newsmon.sources import parse_sources

PUBLIC = "93.184.216.34"
FAKE_DNS = {"news.example": [PUBLIC], "www.news.example": [PUBLIC],
            "meta.news.example": ["169.254.169.254"], "intranet.news.example": [PUBLIC, "10.0.0.7"],
            "partner.example": [PUBLIC]}


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("169.254.169.254", "link-local"),
    ("fe80::1%eth0", "link-local"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("172.16.5.4", "private"), ("100.64.0.1", "private"), ("fd00::1", "private"), ("0.0.0.0", "reserved"),
    ("224.0.0.1", "reserved"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
])
def test_non_public_addresses_are_refused(address, kind):
    assert address_refusal(address).startswith(kind)


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert address_refusal(address) is None


def test_one_private_address_among_public_ones_refuses_the_host():
    assert addresses_refusal("intranet.news.example", FAKE_DNS["intranet.news.example"]) == (
        "intranet.news.example resolves to private address 10.0.0.7")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://news.example/x", "javascript:alert(1)",
                                 "data:text/html,hi", "gopher://news.example/", "//news.example/a", "http://[::1"])
def test_other_schemes_are_refused(url):
    assert scheme_refusal(url)


def test_allowed_domains_cover_subdomains_only():
    assert on_domains("www.News.example.", ["news.example"])
    assert not on_domains("evilnews.example", ["news.example"])
    assert not on_domains("news.example", [])


@pytest.fixture
def guard(monkeypatch):
    monkeypatch.setattr(middlewares, "resolve", lambda host, port=None: FAKE_DNS.get(host, [host]))
    crawler = SimpleNamespace(spider=SimpleNamespace(allowed_domains=["news.example"]))
    return AddressGuardMiddleware(crawler, allow_private=False)


def _request(guard, url):
    return asyncio.run(guard.process_request(Request(url)))


def _redirect(guard, location, url="http://news.example/a/1", status=302):
    response = HtmlResponse(url, status=status, headers={"Location": location})
    return guard.process_response(Request(url), response)


def test_public_host_passes_and_names_resolving_to_private_addresses_are_blocked(guard):
    assert _request(guard, "http://news.example/a/1") is None
    for url, reason in [("http://meta.news.example/latest/meta-data/", "link-local address 169.254.169.254"),
                        ("http://intranet.news.example/", "private address 10.0.0.7"),
                        ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
                        ("http://127.0.0.1:8080/admin", "loopback address 127.0.0.1"),
                        ("file:///etc/passwd", "file scheme")]:
        with pytest.raises(BlockedRequest, match=reason):
            _request(guard, url)


def test_redirects_to_other_schemes_and_hosts_are_blocked_before_they_are_followed(guard):
    for location, reason in [("file:///etc/passwd", "file scheme"), ("ftp://news.example/pub", "ftp scheme"),
                             ("http://169.254.169.254/latest/meta-data/", "another host 169.254.169.254"),
                             ("https://partner.example/story", "another host partner.example")]:
        with pytest.raises(BlockedRequest, match=reason):
            _redirect(guard, location)
    # same host or an allowed domain: followed, and the followed request is checked again
    assert _redirect(guard, "/a/2").status == 302
    assert _redirect(guard, "https://www.news.example/a/1", status=301).status == 301
    assert _redirect(guard, "http://meta.news.example/latest/").status == 302
    with pytest.raises(BlockedRequest, match="link-local"):
        _request(guard, "http://meta.news.example/latest/")


def test_allowance_lets_private_addresses_through_but_not_other_schemes(monkeypatch):
    monkeypatch.setattr(middlewares, "resolve", lambda host, port=None: [host])
    guard = AddressGuardMiddleware(SimpleNamespace(spider=SimpleNamespace(allowed_domains=["127.0.0.1"])),
                                   allow_private=True)
    assert _request(guard, "http://127.0.0.1:8080/a") is None
    with pytest.raises(BlockedRequest, match="ftp scheme"):
        _request(guard, "ftp://127.0.0.1/x")
    with pytest.raises(BlockedRequest, match="another host 169.254.169.254"):
        _redirect(guard, "http://169.254.169.254/", url="http://127.0.0.1:8080/a")


def test_a_host_that_does_not_resolve_is_left_to_scrapy(monkeypatch):
    def fail(host, port=None):
        raise OSError("Name or service not known")

    monkeypatch.setattr(middlewares, "resolve", fail)
    guard = AddressGuardMiddleware(SimpleNamespace(spider=SimpleNamespace(allowed_domains=[])), allow_private=False)
    assert _request(guard, "http://nonexistent.invalid/") is None  # recorded as dns by the download


def test_resolver_refuses_private_answers():
    from twisted.internet.error import DNSLookupError

    assert GuardedResolver._refuse_private(PUBLIC, "news.example") == PUBLIC
    with pytest.raises(DNSLookupError, match="link-local"):
        GuardedResolver._refuse_private("169.254.169.254", "rebound.example")


def test_the_allowance_comes_from_the_environment_or_the_source(monkeypatch):
    monkeypatch.delenv("NEWSMON_CRAWL__ALLOW_PRIVATE_HOSTS", raising=False)
    assert Settings().crawl.allow_private_hosts is False
    monkeypatch.setenv("NEWSMON_CRAWL__ALLOW_PRIVATE_HOSTS", "1")
    assert Settings().crawl.allow_private_hosts is True
    (local, public) = parse_sources({"sources": [
        {"name": "local", "homepage": "http://127.0.0.1:8765/", "feeds": ["http://127.0.0.1:8765/f"],
         "allow_private_hosts": True},
        {"name": "public", "homepage": "https://news.example/", "feeds": ["https://news.example/f"]}]})
    assert local.allow_private_hosts is True and public.allow_private_hosts is False
