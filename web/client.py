"""The caller's address, also behind the reverse proxies production runs behind.

The same rule as `api/client.py` (web and api never import each other); a test keeps the two
in step, so a sign-in counts against the same per-client limits whichever door it used."""

from django.conf import settings


def client_address(request) -> str:
    """With TRUSTED_PROXY_COUNT = n, the n-th address from the right of X-Forwarded-For is
    the client's (the proxies append theirs); without proxies, REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
