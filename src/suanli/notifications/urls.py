"""Which webhook URLs may be called: not the platform itself, and not a private, loopback,
link-local or otherwise internal address (an organisation could otherwise make the
platform probe its own network). `SUANLI_WEBHOOK_ALLOW_PRIVATE=1` admits private and
loopback addresses, for tests and closed installations."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from suanli.kit.errors import ValidationFailed

MAX_URL = 2000
Resolver = Callable[[str, int], list[Any]]


def _resolve(host: str, port: int) -> list[Any]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def internal(address: str) -> bool:
    """Whether an IP address is not on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def addresses(host: str, port: int, resolve: Resolver = _resolve) -> list[str]:
    """The host's IP addresses: itself when it is one, else what DNS says (empty when the
    name does not resolve now)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        return sorted({str(info[4][0]) for info in resolve(host, port)})
    except (OSError, UnicodeError):
        return []


def refusal(url: str, *, allow_private: bool, platform: tuple[str, int],
            resolve: Resolver = _resolve) -> str | None:
    """Why `url` may not be called, or None when it may."""
    if len(url) > MAX_URL:
        return f"at most {MAX_URL} characters"
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in {"http", "https"}:
        return "must start with https:// or http://"
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return "names no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if (host, port) == platform:
        return "points at this platform itself"
    if allow_private:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "points at a private or loopback address"
    found = [a for a in addresses(host, port, resolve) if internal(a)]
    if found:
        return f"points at a private, loopback or link-local address ({found[0]})"
    return None


def check(url: str, *, allow_private: bool, platform: tuple[str, int],
          resolve: Resolver = _resolve) -> str:
    """The URL, stripped, when it may be saved; else a 422 naming the field `url`."""
    url = url.strip()
    problem = refusal(url, allow_private=allow_private, platform=platform, resolve=resolve)
    if problem:
        raise ValidationFailed(f"the webhook URL {problem}", field="url")
    return url
