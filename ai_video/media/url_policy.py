"""Which network addresses a user's URL may reach: the one place the server decides.

A URL is fetched only over http/https, and every connection it leads to (the first request,
every redirect, every media segment) goes to an address checked here *after* name
resolution: loopback, private, link-local (cloud metadata at 169.254.169.254), shared,
multicast, reserved and unspecified addresses are refused, in IPv4, IPv6 and IPv6 forms that
embed an IPv4 address (``::ffff:127.0.0.1``, 6to4, NAT64). Numeric host spellings
(``2130706433``, ``0x7f.1``) are resolved by the system resolver like any name, so they
meet the same check. Operators may allow named hosts or all private addresses.

Refusals raise :class:`UrlRefused`, whose text is for the server log only; users get
:data:`GENERIC_FETCH_ERROR` (the same for a refused address, a closed port and a timeout).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ai_video.config import UrlPolicyConfig
from ai_video.errors import InputError

URL_SCHEMES = ("http", "https")
GENERIC_FETCH_ERROR = "the URL could not be fetched (unreachable, refused, or not allowed)"
"""What a user is told for any network-level failure; details go to the server log."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4")
)


class UrlRefused(InputError):
    """A URL or an address it leads to is not allowed; the message is for logs only."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked connection target: the host as named and the addresses it may use."""

    host: str
    port: int
    addresses: tuple[str, ...]


def check_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL; :class:`InputError` for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InputError("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise InputError(f"unsupported URL scheme {scheme!r} (use http or https)")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InputError("the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise InputError("URLs with a user name or password are not accepted")
    return scheme, host, port if port is not None else (443 if scheme == "https" else 80)


def forbidden_reason(address: IpAddress) -> str | None:
    """Why ``address`` may not be contacted for a user, or None when it is a public address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = forbidden_reason(embedded)
        return f"embeds {embedded} ({inner})" if inner else None
    for name in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    if isinstance(address, ipaddress.IPv4Address) and any(address in n for n in _EXTRA_BLOCKED):
        return "special-purpose"
    if not address.is_global:
        return "not global"
    return None


def _embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, IPv4-compatible, 6to4 or NAT64 IPv6 one."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (the tests stub this function)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def host_is_allowed(host: str, policy: UrlPolicyConfig) -> bool:
    """True when the operator lets ``host`` resolve anywhere (``allow_hosts``)."""
    host = host.rstrip(".").lower()
    for entry in policy.allow_hosts:
        entry = entry.rstrip(".").lower()
        if host == entry.lstrip(".") or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def checked_target(host: str, port: int, policy: UrlPolicyConfig) -> Target:
    """Resolve ``host`` and keep its addresses only if every one may be contacted.

    Raises :class:`UrlRefused` when the name does not resolve or any address is refused
    (a name that answers with one public and one private address is refused whole, so a
    resolver cannot pick the private one later).
    """
    host = host.strip("[]").rstrip(".").lower()
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"{host}: does not resolve ({exc})") from None
    if not addresses:
        raise UrlRefused(f"{host}: resolves to no address")
    if not (policy.allow_private or host_is_allowed(host, policy)):
        for text in addresses:
            reason = forbidden_reason(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason is not None:
                raise UrlRefused(f"{host}:{port} resolves to {text}, a {reason} address")
    return Target(host=host, port=port, addresses=tuple(addresses))
