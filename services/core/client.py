"""The caller's address, also behind the reverse proxies production runs behind: the key of
every per-client limit, the same for the API and the console (one sign-in limit per client
whichever door it uses)."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """With TRUSTED_PROXY_COUNT = n, the n-th address from the right of X-Forwarded-For is
    the client's (the proxies append theirs); without proxies, REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return _per_subscriber(forwarded[-proxies])
    return _per_subscriber(request.META.get("REMOTE_ADDR", "")) or "unknown"


def _per_subscriber(address: str) -> str:
    """An IPv6 address stands for its /64: one subscriber holds the whole /64, so keying limits
    on the full address would hand anyone 2**64 fresh clients (password spraying, lock-outs)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(parsed) >> 64 << 64, 64)))
