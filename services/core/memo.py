"""Derived values kept in the cache (Redis in production) under the versions of their inputs.

The key carries every input's version, so an entry is never stale: a changed input makes a
new key, and old keys age out. The cache is an optimisation only: when it is unreachable
(Redis restarting), the value is computed as if it were missing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

logger = logging.getLogger(__name__)


def memo_key(name: str, *versions) -> str:
    digest = hashlib.blake2b("\x1f".join(str(v) for v in versions).encode(), digest_size=16)
    return f"memo:{name}:{digest.hexdigest()}"


def memoized(key: str, compute: Callable[[], T], *, timeout: int) -> T:
    try:
        value = cache.get(key)
    except Exception:  # the cache is down: compute, as on a miss
        logger.warning("memo: cache unreachable on get", exc_info=True)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("memo: cache unreachable on set", exc_info=True)
    return value
