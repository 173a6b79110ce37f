"""Where a webhook may be delivered: the guard against server-side request forgery.

By default only `https` URLs, and only to public addresses: private, loopback, link-local,
shared, multicast and reserved addresses are refused, when the endpoint is added and again
at every delivery, after DNS resolution. The delivery then connects to the address that was
checked (`pinned`), so a name that resolves differently a moment later (DNS rebinding)
cannot redirect it; TLS still verifies the certificate against the original host name.
Redirects are never followed.

An endpoint added with `allow_insecure` (possible only while the operator setting
`DOORPOST_WEBHOOK_ALLOW_INSECURE` is on, and honoured only while it stays on) may use
`http` and any address: for development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from doorpost.service.errors import AdminError

Resolver = Callable[[str, int], list[str]]


class UnsafeTarget(AdminError):
    """The URL or the address it resolves to is not one Doorpost delivers to."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"The host '{host}' does not resolve.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str, insecure: bool) -> Target:
    """The endpoint's URL, checked for shape (no address checks yet)."""
    url = url.strip()
    if not url or len(url) > 2000 or any(c.isspace() or ord(c) < 32 for c in url):
        raise UnsafeTarget("A webhook needs an absolute URL of at most 2000 characters.")
    parts = urlsplit(url)
    allowed = ("https", "http") if insecure else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeTarget("Webhook URLs must use https" + (
            "." if insecure else " (http needs --allow-insecure, which the operator setting "
            "DOORPOST_WEBHOOK_ALLOW_INSECURE must allow)."))
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise UnsafeTarget("A webhook URL needs a host, and no user name, password or "
                           "fragment.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("The URL's port is not a number from 1 to 65535.") from exc
    return Target(url, parts.scheme, parts.hostname, port)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def addresses(target: Target, insecure: bool, resolver: Resolver = system_resolver
              ) -> list[str]:
    """The addresses to connect to; refuses if any is not public (unless insecure)."""
    found = resolver(target.host, target.port)
    if not found:
        raise UnsafeTarget(f"The host '{target.host}' does not resolve.")
    if not insecure:
        bad = [a for a in found if not is_public(a)]
        if bad:
            raise UnsafeTarget(f"'{target.host}' resolves to {bad[0]}, a private, loopback "
                               "or otherwise non-public address; Doorpost does not deliver "
                               "there.")
    return found


def pinned(target: Target, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL with the checked address as its host, headers, httpx extensions): connect to
    that address, while Host and TLS (SNI and certificate check) keep the real name."""
    parts = urlsplit(target.url)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{target.port}"
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, {"Host": host}, extensions
