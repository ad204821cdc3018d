"""Loyalty writes. The signatures below are the contract other areas call; issue #6 fills them."""

from typing import Any


def points_award(
    *,
    tenant,
    rule: str,
    source: Any,
    idempotency_key: str,
    points: int | None = None,
    issuer=None,
) -> Any:
    """Earn points for a validated activity; the same idempotency_key twice is a no-op."""
    return None


def points_reverse(*, tenant, idempotency_key: str, reason: str, issuer=None) -> Any:
    """Reverse the entry earned under `idempotency_key` (a correction, never a delete)."""
    return None
