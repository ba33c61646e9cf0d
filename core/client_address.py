"""Which address a request comes from, for the rate limits and the logs.

The socket peer, unless the peer is one of ``CRM_TRUSTED_PROXIES``: then the
last address in ``X-Forwarded-For``, the one that proxy saw. Earlier entries
are whatever the caller chose to send and are never believed. For the rate
limits an IPv6 caller is keyed by its /64 network, since one subscriber
usually holds all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.types import Scope

UNKNOWN = "unknown"
SCOPE_KEY = "crm.rate_limit_key"
IPV6_SUBSCRIBER_PREFIX = 64

Networks = Sequence[IPv4Network | IPv6Network]


def client_address(scope: Scope, trusted_proxies: Networks) -> str:
    """The client's address, as the audit log or a request log would name it."""
    address = _client(scope, trusted_proxies)
    return UNKNOWN if address is None else str(address)


def rate_limit_key(scope: Scope, trusted_proxies: Networks) -> str:
    """Whose budget the request spends (remembered in the scope)."""
    known = scope.get(SCOPE_KEY)
    if known is None:
        known = scope[SCOPE_KEY] = _key(_client(scope, trusted_proxies))
    return known


def _client(scope: Scope, trusted_proxies: Networks) -> IPv4Address | IPv6Address | None:
    peer = _parse((scope.get("client") or ("",))[0])
    if peer is None or not any(peer in network for network in trusted_proxies):
        return peer
    forwarded = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    last_hop = ",".join(forwarded).rsplit(",", 1)[-1].strip()
    return _parse(last_hop) or peer


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def _key(address: IPv4Address | IPv6Address | None) -> str:
    if address is None:  # e.g. served on a Unix socket: all callers share one budget
        return UNKNOWN
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(IPv6Network((address, IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(address)
