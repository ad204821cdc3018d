"""`notify()`: the one entry point the areas call to tell people something."""

from collections.abc import Iterable
from typing import Any

from django.utils import translation

from . import registry
from .models import Notification


def _render(text: Any, language: str, params: dict) -> str:
    with translation.override(language):
        return str(text).format(**params)


def notify(
    *,
    recipients: Iterable,
    kind: str,
    params: dict | None = None,
    link_id: Any = None,
    data: dict | None = None,
) -> list[Notification]:
    """Write one inbox row per recipient, rendered in that recipient's language.

    Call it inside the caller's transaction: a rollback sends nothing. `params` fill the
    kind's {placeholders}; `link_id` is the deep link's object id (a public UUID).
    """
    spec = registry.get(kind)
    params = params or {}
    created = []
    for user in recipients:
        language = getattr(user, "language", None) or "fr"
        created.append(
            Notification.objects.create(
                recipient=user,
                kind=spec.code,
                category=spec.category,
                title=_render(spec.title, language, params),
                body=_render(spec.body, language, params),
                link_type=spec.link_type or "",
                link_id=str(link_id) if link_id is not None else "",
                data={k: str(v) for k, v in (data or {}).items()},
            )
        )
    return created
