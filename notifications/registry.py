"""Notification kinds, registered by the area that owns them (from its AppConfig.ready()).

`notifications` never imports a domain area: areas describe their kinds here and call
`notifications.services.notify()`.
"""

from dataclasses import dataclass, field
from typing import Any


class Category:
    ACCOUNT = "account"  # security and account messages: cannot be switched off
    ANNOUNCEMENTS = "announcements"
    JOBS = "jobs"
    VOLUNTEERING = "volunteering"
    LOYALTY = "loyalty"

    ALL = (ACCOUNT, ANNOUNCEMENTS, JOBS, VOLUNTEERING, LOYALTY)


@dataclass(frozen=True)
class NotificationKind:
    code: str  # "volunteering.place_offered"
    category: str
    title: Any  # gettext_lazy text with {placeholders} filled from `params`
    body: Any
    switchable: bool = True
    channels: tuple[str, ...] = ("inbox", "push")  # and "email" (see email.py)
    link_type: str | None = None  # the app screen the deep link opens, e.g. "mission"
    ttl_seconds: int = 4 * 24 * 3600
    extra: dict = field(default_factory=dict)  # "email_path": the e-mail button's page


_kinds: dict[str, NotificationKind] = {}


def register(*kinds: NotificationKind) -> None:
    for kind in kinds:
        existing = _kinds.get(kind.code)
        if existing is not None and existing != kind:
            raise ValueError(f"notification kind {kind.code} registered twice")
        _kinds[kind.code] = kind


def get(code: str) -> NotificationKind:
    return _kinds[code]


def all_kinds() -> list[NotificationKind]:
    return sorted(_kinds.values(), key=lambda k: k.code)
