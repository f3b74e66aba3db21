"""Where the crawler may go: http(s) only, a source's own hosts, and public addresses unless allowed.

Pure checks on URLs and IP addresses; the Scrapy middleware and the one-off fetcher apply them
after resolving the host, so a name that points at 127.0.0.1 or 169.254.169.254 is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

SCHEMES = ("http", "https")


def scheme_refusal(url: str) -> str | None:
    """Why a URL's scheme is refused (file:, ftp:, data:, javascript:, ...), or None for http(s)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return "unparseable URL"
    if scheme not in SCHEMES:
        return f"{scheme or 'no'} scheme, only http(s) is fetched"
    return None


def on_domains(host: str, domains: Iterable[str]) -> bool:
    """True when host is one of the domains or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (d.lower().rstrip(".") for d in domains if d))


def address_refusal(address: str) -> str | None:
    """Why an IP address is not a public one the crawler may connect to, or None when it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return f"not an IP address {address!r}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return f"loopback address {ip}"
    if ip.is_link_local:
        return f"link-local address {ip}"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return f"reserved address {ip}"
    if ip.is_private or not ip.is_global:
        return f"private address {ip}"
    return None


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address a host name resolves to (an IP literal resolves to itself); raises OSError."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def addresses_refusal(host: str, addresses: Iterable[str]) -> str | None:
    """Why a host is refused: any of its addresses not public (a name may hide a private one)."""
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            return f"{host} resolves to {reason}" if host != address else reason
    return None
