"""The current request id: set by the middleware for a request, by a Celery signal for a task
(from the headers the request's publish added), read by the log filter and Sentry."""

import contextvars
import re
import uuid

HEADER = "X-Request-ID"
# Accepted from a client or a proxy as is: short, and nothing that could forge a log field.
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def from_header(value: str | None) -> str:
    """The caller's id when it is a plausible one, else a new one."""
    if value and _VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def get() -> str:
    return current.get()
