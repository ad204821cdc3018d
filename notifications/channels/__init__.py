"""Push channels: Firebase when FIREBASE_CREDENTIALS is set, otherwise a log of what would
have been sent, so the inbox and the deliveries behave the same in development."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class PushMessage:
    delivery_id: int
    token: str
    platform: str
    title: str
    body: str
    data: dict[str, str]
    category: str
    collapse_key: str
    ttl_seconds: int
    badge: int | None = None
    identifier_kind: str = "token"  # or "installation_id" (a Firebase installation id)


class Outcome:
    SENT = "sent"
    UNREGISTERED = "unregistered"  # the app is gone: deactivate
    INVALID_TOKEN = "invalid_token"  # deactivate, unless most of the batch says so
    SENDER_MISMATCH = "sender_mismatch"  # deactivate, unless most of the batch says so
    INVALID_PAYLOAD = "invalid_payload"  # our bug: keep the device, fail the delivery
    THIRD_PARTY_AUTH = "third_party_auth"  # our APNs/web credentials: keep, fail
    RETRY = "retry"  # quota, unavailable, internal, timeouts: retry that device later
    ERROR = "error"  # anything else: keep, fail


@dataclass(frozen=True)
class PushResult:
    delivery_id: int
    outcome: str
    message_id: str = ""
    error: str = ""
    error_code: str = ""
    retry_after: float | None = field(default=None)


def get_channel():
    if settings.FIREBASE_CREDENTIALS:
        from .fcm import FcmChannel

        return FcmChannel.from_settings()
    from .log import LogChannel

    return LogChannel()
