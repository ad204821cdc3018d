"""Writes: `notify()` (the one entry point the areas call), devices, the inbox, preferences
and announcements. Each write is atomic; pushes leave after commit (see dispatch.py)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from services.core import clock
from services.core.errors import invalid

from . import audience, email, outbox, registry
from .devices import (  # noqa: F401  (callers register and remove devices here)
    MAX_ACTIVE_DEVICES,
    device_deactivate,
    device_deactivate_for_logout,
    device_register,
)
from .kinds import ANNOUNCEMENT, CATEGORY_LABELS, EMAIL_ON_BY_DEFAULT, LOCKED_CATEGORIES
from .models import Announcement, Delivery, Device, Notification, Preference

if TYPE_CHECKING:  # accounts is above notifications: its types only
    from services.accounts.models import User

FAN_OUT_CHUNK = 1000

# --------------------------------------------------------------------------- notify()


def _lock_announcement(pk: int) -> Announcement | None:
    """The one place an announcement row is locked (one fan-out step at a time)."""
    return Announcement.objects.select_for_update().filter(pk=pk).first()


def _render(text: Any, language: str, params: dict) -> str:
    with translation.override(language):
        return str(text).format(**params)


def _switched_off(user_ids: Sequence[int], category: str) -> dict[int, set[str]]:
    """{user id: channels switched off} for this category.

    One hand-written statement: every notify() asks it, and through the ORM it cost 0.8 ms
    of CPU, a fifth of a loyalty redemption's (docs/loyalty.md, the redemption hot path)."""
    off: dict[int, set[str]] = {}
    if not user_ids:
        return off
    table = connection.ops.quote_name(Preference._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, channel FROM {table} WHERE category = %s AND NOT enabled "  # noqa: S608
            f"AND user_id IN ({', '.join(['%s'] * len(user_ids))})",
            [category, *user_ids],
        )
        rows = cursor.fetchall()
    for user_id, channel in rows:
        off.setdefault(user_id, set()).add(channel)
    return off


def _email_wanted(user_ids: Sequence[int], category: str, *, locked: bool) -> set[int]:
    """Who gets e-mail for this category: a switch each person set, else the category's
    default (EMAIL_ON_BY_DEFAULT); a locked category reaches everyone."""
    if locked:
        return set(user_ids)
    default = category in EMAIL_ON_BY_DEFAULT
    chosen = dict(
        Preference.objects.filter(
            user_id__in=user_ids, category=category, channel=Preference.Channel.EMAIL
        ).values_list("user_id", "enabled")
    )
    return {user_id for user_id in user_ids if chosen.get(user_id, default)}


@dataclass(frozen=True)
class _Planned:
    """One recipient's inbox row, before it is written."""

    user_id: int
    title: str
    body: str
    in_inbox: bool
    push: bool
    email: bool = False


def _plan(
    spec: registry.NotificationKind,
    recipients: Sequence[tuple[int, str]],
    params: dict,
    *,
    with_email: bool = False,
) -> list[_Planned]:
    """The rules of notify(), for (user id, language) pairs: one row per person, rendered
    in their language (once per language), minus those who switched both channels off."""
    # One row per person even when the caller's query joined them twice (two tenancies,
    # two residences): a duplicate would be a second inbox row and a second push.
    languages = dict(recipients)
    if not languages:
        return []
    locked = not spec.switchable or spec.category in LOCKED_CATEGORIES
    off = {} if locked else _switched_off(list(languages), spec.category)
    emailed = (
        _email_wanted(list(languages), spec.category, locked=locked)
        if with_email and "email" in spec.channels
        else set()
    )
    rendered: dict[str, tuple[str, str]] = {}
    planned = []
    for user_id, language in languages.items():
        user_off = off.get(user_id, set())
        inbox = "inbox" in spec.channels and "inbox" not in user_off
        push = "push" in spec.channels and "push" not in user_off
        mail = user_id in emailed
        if not (inbox or push or mail):
            continue
        language = language or "fr"
        if language not in rendered:
            rendered[language] = (
                _render(spec.title, language, params)[:200],
                _render(spec.body, language, params),
            )
        title, body = rendered[language]
        planned.append(_Planned(user_id, title, body, inbox, push, mail))
    return planned


def notify(
    *,
    recipients: Iterable,
    kind: str,
    params: dict | None = None,
    link_id: Any = None,
    data: dict | None = None,
    sender: str = "",
) -> list[Notification]:
    """Write one inbox row per recipient, rendered in that recipient's language, and one
    pending delivery per active device of those who get push.

    Call it inside the caller's transaction: a rollback sends nothing (the push is
    scheduled on commit). `params` fill the kind's {placeholders}; `link_id` is the deep
    link's object id (a public UUID). Recipients who switched both channels off for a
    switchable kind get nothing; the returned list holds the rows written.

    A kind with the "email" channel also writes one pending e-mail per recipient who gets
    it (email.py), sent after commit; `sender` is the name shown in it (the landlord's).
    """
    spec = registry.get(kind)
    recipients = list(recipients)
    planned = _plan(
        spec,
        [(u.pk, getattr(u, "language", None)) for u in recipients],
        params or {},
        with_email=True,
    )
    if not planned:
        return []
    link = str(link_id) if link_id is not None else ""
    payload = {k: str(v) for k, v in (data or {}).items()}
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=row.user_id,
                kind=spec.code,
                category=spec.category,
                title=row.title,
                body=row.body,
                link_type=spec.link_type or "",
                link_id=link,
                data=payload,
                in_inbox=row.in_inbox,
            )
            for row in planned
        ]
    )
    push_users = {row.user_id for row in planned if row.push}
    _queue_pushes([n.pk for n in created if n.recipient_id in push_users], spec.ttl_seconds)
    mail_users = {row.user_id for row in planned if row.email}
    if mail_users:
        users = {u.pk: u for u in recipients}
        email.queue(
            [(n, users[n.recipient_id]) for n in created if n.recipient_id in mail_users],
            ttl_seconds=spec.ttl_seconds,
            sender=sender,
        )
    return created


def notify_audience(
    *, recipients: Sequence[tuple[int, str]], kind: str, params: dict, link_id: Any
) -> int:
    """notify() for thousands of people at once (an announcement's audience, a chunk at a
    time), given as (user id, language): the same rows and deliveries, written with one
    INSERT per language and channel choice instead of a model instance per person.
    Returns the number of inbox rows written."""
    spec = registry.get(kind)
    planned = _plan(spec, recipients, params)
    groups: dict[tuple[str, str, bool], list[int]] = {}
    push_users = set()
    for row in planned:
        groups.setdefault((row.title, row.body, row.in_inbox), []).append(row.user_id)
        if row.push:
            push_users.add(row.user_id)
    table = connection.ops.quote_name(Notification._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(clock.now())
    data = Notification._meta.get_field("data").get_db_prep_save({}, connection)
    public_id = Notification._meta.get_field("public_id")
    link = str(link_id) if link_id is not None else ""
    push_ids = []
    for (title, body, in_inbox), user_ids in groups.items():
        constants = [spec.code, spec.category, title, body, spec.link_type or "", link, data]
        for start in range(0, len(user_ids), FAN_OUT_CHUNK):
            chunk = user_ids[start : start + FAN_OUT_CHUNK]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            sql = (
                f"INSERT INTO {table} (public_id, recipient_id, kind, category, title, "  # noqa: S608
                "body, link_type, link_id, data, in_inbox, created_at, updated_at) "
                "SELECT v.column1, v.column2, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s "
                f"FROM (VALUES {values}) AS v RETURNING id, recipient_id"
            )
            rows = [
                value
                for user_id in chunk
                for value in (public_id.get_db_prep_value(uuid.uuid4(), connection), user_id)
            ]
            with connection.cursor() as cursor:
                cursor.execute(sql, [*constants, in_inbox, now, now, *rows])
                push_ids += [pk for pk, user_id in cursor.fetchall() if user_id in push_users]
    _queue_pushes(sorted(push_ids), spec.ttl_seconds)
    return len(planned)


def _queue_pushes(ids: list[int], ttl: int) -> None:
    """One pending delivery per active device of the push recipients, in one
    INSERT … SELECT (a 100,000-person announcement writes 100 of these, not 100,000 model
    instances), then the send tasks on commit. `ids`: the push recipients' inbox rows."""
    if not ids:
        return
    now = clock.now()
    expires = now + datetime.timedelta(seconds=ttl)
    q = connection.ops.quote_name
    delivery, device, notification = (
        q(Delivery._meta.db_table),
        q(Device._meta.db_table),
        q(Notification._meta.db_table),
    )
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"INSERT INTO {delivery} (notification_id, device_id, status, attempts, "  # noqa: S608
        "next_attempt_at, expires_at, message_id, error_code, last_error, created_at, "
        "updated_at) "
        f"SELECT n.id, d.id, %s, 0, %s, %s, '', '', '', %s, %s FROM {notification} n "
        f"JOIN {device} d ON d.user_id = n.recipient_id "
        f"WHERE d.is_active AND n.id IN ({placeholders}) ORDER BY n.id, d.id RETURNING id"
    )
    with connection.cursor() as cursor:
        at = connection.ops.adapt_datetimefield_value  # as the ORM stores them (SQLite)
        cursor.execute(sql, [Delivery.Status.PENDING, at(now), at(expires), at(now), at(now), *ids])
        created = sorted(row[0] for row in cursor.fetchall())
    if created:
        outbox.deliveries_send_on_commit(created)


# --------------------------------------------------------------------------- the inbox


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        now = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now, updated_at=now
        )
        notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    now = clock.now()
    return Notification.objects.filter(recipient=user, in_inbox=True, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )


# --------------------------------------------------------------------------- preferences

PreferenceNotSwitchable = invalid(
    "preference_not_switchable", _("Account and security messages cannot be switched off.")
)
UnknownCategory = invalid("unknown_category", _("This notification category does not exist."))


@transaction.atomic
def preferences_update(*, user: User, switches: Sequence[dict]) -> None:
    """`switches`: [{category, channel, enabled}]; unnamed switches keep their state."""
    for switch in switches:
        category, channel, enabled = switch["category"], switch["channel"], switch["enabled"]
        if category not in registry.Category.ALL:
            raise UnknownCategory(fields={"preferences": [str(UnknownCategory.default_message)]})
        if category in LOCKED_CATEGORIES and not enabled:
            raise PreferenceNotSwitchable(
                fields={"preferences": [str(PreferenceNotSwitchable.default_message)]}
            )
        Preference.objects.update_or_create(
            user=user, category=category, channel=channel, defaults={"enabled": enabled}
        )


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def email_enabled(*, user: User, category: str) -> bool:
    """Whether this person gets this category's e-mails (their switch, else the default)."""
    if category in LOCKED_CATEGORIES:
        return True
    return user.pk in _email_wanted([user.pk], category, locked=False)


# --------------------------------------------------------------------------- announcements

UnknownResidence = invalid("unknown_residence", _("Unknown residence."))


@transaction.atomic
def announcement_create(
    *,
    author: User,
    title: str,
    body: str,
    residence_ids: Sequence[uuid.UUID] = (),
    marketing: bool = False,
) -> Announcement:
    """Answer at once whatever the audience size: the worker fans it out after commit.
    `residence_ids` (public ids) must be the author's landlord's. A `marketing` announcement
    (not a service message) reaches only the tenants who consented to push marketing."""
    landlord_id = author.staff.landlord_id
    wanted = set(residence_ids)
    residences = audience.get().residence_ids(landlord_id=landlord_id, public_ids=wanted)
    if len(residences) != len(wanted):
        raise UnknownResidence(fields={"residences": [str(UnknownResidence.default_message)]})
    announcement = Announcement.objects.create(
        landlord_id=landlord_id, author=author, title=title, body=body, marketing=marketing
    )
    if residences:
        announcement.residences.set(residences)
    outbox.announcement_fan_out_on_commit(announcement.pk)
    return announcement


def _next_audience_chunk(
    announcement: Announcement, chunk: int
) -> tuple[list[tuple[int, str]], int | None]:
    """The next `chunk` tenants after the progress marker, in user-id order, and of them the
    people to tell, as (user id, language): active users of the landlord's current tenants
    (or of those residences'; a tenancy that has ended is no longer an audience). Also
    returns the last user id walked (None: nobody left).

    Two queries, each bounded by the chunk: the tenants (asked of the registered audience,
    by the (landlord, user) index), then their users. With the users joined in, PostgreSQL
    merge-joined them from the first user id on every chunk (a fan-out quadratic in the
    size of the user table)."""
    walked = audience.get().user_ids_after(
        landlord_id=announcement.landlord_id,
        residence_ids=list(announcement.residences.values_list("pk", flat=True)),
        after_user_id=announcement.fanned_out_until_user_id,
        limit=chunk,
        marketing=announcement.marketing,
    )
    if not walked:
        return [], None
    people = get_user_model().objects.filter(pk__in=walked, is_active=True).order_by("pk")
    return list(people.values_list("pk", "language")), walked[-1]


def announcement_fan_out(*, announcement_id: int, chunk: int = FAN_OUT_CHUNK) -> Announcement:
    """Write the inbox rows and deliveries chunk by chunk, each chunk in its own
    transaction with the progress marker, so a re-run (a killed worker) resumes without
    writing anyone twice."""
    while True:
        with transaction.atomic():
            announcement = _lock_announcement(announcement_id)
            if announcement is None or announcement.status == Announcement.Status.DONE:
                return announcement
            audience, last_walked = _next_audience_chunk(announcement, chunk)
            if last_walked is None:
                announcement.status = Announcement.Status.DONE
                announcement.completed_at = clock.now()
                announcement.save(update_fields=["status", "completed_at", "updated_at"])
                return announcement
            written = notify_audience(
                recipients=audience,
                kind=ANNOUNCEMENT,
                params={"title": announcement.title, "body": announcement.body},
                link_id=announcement.public_id,
            )
            announcement.status = Announcement.Status.SENDING
            announcement.fanned_out_until_user_id = last_walked
            announcement.recipients_count += written
            announcement.save(
                update_fields=[
                    "status",
                    "fanned_out_until_user_id",
                    "recipients_count",
                    "updated_at",
                ]
            )
