"""The slot's rotating check-in code: a TOTP-like 6-digit HMAC of the slot's secret and the
current time step. The organiser shows it; a tenant types it during the slot.

A code is accepted for its own step and the previous one (a tenant typing at the turn of a
step is not refused); outside the slot window no code is accepted at all.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

STEP_SECONDS = 300
DIGITS = 6


def new_secret() -> str:
    return secrets.token_hex(20)


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at(secret: str, at: datetime, *, step: int | None = None) -> str:
    counter = _step(at) if step is None else step
    digest = hmac.new(secret.encode(), str(counter).encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") % (10**DIGITS)
    return f"{value:0{DIGITS}d}"


def step_ends_at(at: datetime) -> datetime:
    step = _step(at)
    return datetime.fromtimestamp((step + 1) * STEP_SECONDS, tz=at.tzinfo)


def code_matches(secret: str, code: str, at: datetime) -> bool:
    code = (code or "").strip()
    current = _step(at)
    return any(
        hmac.compare_digest(code_at(secret, at, step=step), code) for step in (current, current - 1)
    )


def window_contains(starts_at: datetime, ends_at: datetime, at: datetime) -> bool:
    return starts_at <= at <= ends_at
