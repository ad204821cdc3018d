"""Domain errors: a stable `code` the apps switch on and a translated message.

Each specific error is declared next to the function that raises it, e.g.
`InsufficientPoints = conflict("insufficient_points", _("Not enough points."))`.
`api/exceptions.py` maps the kinds to HTTP statuses.
"""

from __future__ import annotations

from typing import Any

# Every code an error class declares, with its status: one code means one thing, so it may
# be declared in several places (each area's "not_cancellable") but always with the same
# status. docs/errors.md lists them all (tests/test_error_codes.py checks it).
DECLARED: dict[str, tuple[int, Any]] = {}  # code -> (status, the first message declared)


class CodeReused(TypeError):
    """A code declared again with another status: pick another code."""


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message: Any = "Invalid request."

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        known, _message = DECLARED.setdefault(cls.code, (cls.status, cls.default_message))
        if known != cls.status:
            raise CodeReused(f"error code {cls.code!r} is already declared with status {known}")

    def __init__(self, message: Any = None, *, code: str | None = None, fields=None, extra=None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NotFound(DomainError):
    """Also what another landlord's object answers: indistinguishable from absence."""

    status = 404
    code = "not_found"
    default_message = "Not found."


class NotAuthenticated(DomainError):
    """Credentials the caller sent are not (or no longer) good: sign in again."""

    status = 401
    code = "not_authenticated"
    default_message = "Sign in again."


class NotAllowed(DomainError):
    status = 403
    code = "permission_denied"
    default_message = "You may not do this."


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"


class TooManyRequests(DomainError):
    status = 429
    code = "throttled"


def _make(base: type[DomainError], code: str, message: Any) -> type[DomainError]:
    name = "".join(part.capitalize() for part in code.split("_"))
    return type(name, (base,), {"code": code, "default_message": message})


def invalid(code: str, message: Any) -> type[DomainError]:
    return _make(ValidationFailed, code, message)


def conflict(code: str, message: Any) -> type[DomainError]:
    return _make(Conflict, code, message)


def not_authenticated(code: str, message: Any) -> type[DomainError]:
    return _make(NotAuthenticated, code, message)


def not_allowed(code: str, message: Any) -> type[DomainError]:
    return _make(NotAllowed, code, message)


def not_found(code: str, message: Any) -> type[DomainError]:
    return _make(NotFound, code, message)
