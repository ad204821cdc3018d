"""The e-mail channel: an outbox row per message, sent after commit, claimed before it is
sent, retried on temporary SMTP errors with backoff (the push outbox's rules, dispatch.py).

`notify()` writes one `EmailDelivery` per recipient who gets e-mail for that kind, in the
caller's transaction, and schedules `send_emails(ids)` on commit: a rollback sends nothing.
The worker claims the rows (a lease), renders each message in the recipient's language
from the templates under notifications/templates/notifications/email/, sends it through
Django's e-mail framework (`EMAIL_URL`: SMTP in production, files under var/mail/ with
`make run`, the in-memory outbox in tests), and records the outcome of each message at once.

Attachments: a kind's `extra["email_attachments"]` (a function of the notification) gives
the files to attach, e.g. the interview's .ics.

Links: a kind's `extra["email_path"]` (e.g. "/espace/candidats/{link_id}/") is where the
button leads. For the roles in `MAGIC_LINK_ROLES` (employer members, who have no app) the
link signs them in (django-sesame, `MAGIC_LINK_PATH`); nobody else gets a sign-in link.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import translation

from services.core import clock

from . import outbox, registry
from .dispatch import LEASE, backoff_seconds
from .models import EmailDelivery, Notification

logger = logging.getLogger("notifications.email")

# Users of these roles reach the web through the link in the e-mail (no app, no password
# needed): the button signs them in (a POST after a "Continue" page, see web/views/employer.py).
MAGIC_LINK_ROLES = frozenset({"employer"})
MAGIC_LINK_PATH = "/espace/lien/"
MAGIC_LINK_SCOPE = "espace"
PREFERENCES_PATH = "/espace/e-mails/{token}/"
PREFERENCES_SALT = "notifications.email.preferences"
TEMPLATES = "notifications/email/"


# --------------------------------------------------------------------------- writing


def queue(rows: Sequence[tuple[Notification, object]], *, ttl_seconds: int, sender: str) -> None:
    """One pending e-mail per (notification, user), then the send task on commit."""
    now = clock.now()
    expires = now + timedelta(seconds=ttl_seconds)
    created = EmailDelivery.objects.bulk_create(
        [
            EmailDelivery(
                notification=notification,
                to_address=user.email,
                language=getattr(user, "language", "") or "fr",
                sender_name=sender[:200],
                next_attempt_at=now,
                expires_at=expires,
            )
            for notification, user in rows
            if getattr(user, "email", "")
        ]
    )
    ids = [row.pk for row in created]
    if ids:
        outbox.emails_send_on_commit(ids)


# --------------------------------------------------------------------------- claiming


def _due(now):
    return Q(status=EmailDelivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(ids: Sequence[int]) -> list[EmailDelivery]:
    """The rows this caller now owns, stamped and committed before anything is sent:
    FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite."""
    now = clock.now()
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = EmailDelivery.objects.filter(_due(now), pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            locked = list(
                candidates.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            candidates = EmailDelivery.objects.filter(pk__in=locked)
        candidates.update(
            claim_token=token,
            claimed_until=now + LEASE,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(
        EmailDelivery.objects.filter(claim_token=token, status=EmailDelivery.Status.PENDING)
        .select_related("notification__recipient")
        .order_by("pk")
    )


def due_ids(*, limit: int = 50_000) -> list[int]:
    return list(
        EmailDelivery.objects.filter(_due(clock.now()))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# --------------------------------------------------------------------------- rendering


def preferences_token(*, user_id: int, category: str) -> str:
    return signing.dumps({"u": user_id, "c": category}, salt=PREFERENCES_SALT, compress=True)


def preferences_read(token: str) -> tuple[int, str] | None:
    """(user id, category) of a preferences link, None if it was tampered with."""
    try:
        value = signing.loads(token, salt=PREFERENCES_SALT)
    except signing.BadSignature:
        return None
    return int(value["u"]), str(value["c"])


def _button_url(delivery: EmailDelivery) -> str:
    n = delivery.notification
    spec = _kind(n.kind)
    if spec is not None and "email_url" in spec.extra:
        # A link the owning area signs itself, made at send time and never stored (an
        # employer invitation's acceptance page): not a sign-in link.
        return f"{settings.SITE_URL}{spec.extra['email_url'](n)}"
    path = (spec.extra.get("email_path") if spec else None) or "/espace/"
    path = path.format(link_id=n.link_id)
    user = n.recipient
    if getattr(user, "role", "") in MAGIC_LINK_ROLES:
        if spec is not None and "magic_link_path" in spec.extra:  # e.g. the partner pages
            return magic_link(
                user,
                path,
                link_path=spec.extra["magic_link_path"],
                scope=spec.extra["magic_link_scope"],
            )
        return magic_link(user, path)
    return f"{settings.SITE_URL}{path}"


def magic_link(
    user, path: str = "/espace/", *, link_path: str = MAGIC_LINK_PATH, scope: str = MAGIC_LINK_SCOPE
) -> str:
    """THE place magic links are made: a signed, time-limited token naming this user, scoped
    to the employer pages (django-sesame) or another set of pages (`scope`, its sign-in page
    `link_path`: the loyalty partners'), then `path` once they press Continue."""
    from sesame.utils import get_token

    query = urlencode({"sesame": get_token(user, scope=scope), "next": path})
    return f"{settings.SITE_URL}{link_path}?{query}"


def _kind(code: str):
    try:
        return registry.get(code)
    except KeyError:
        return None


def build(delivery: EmailDelivery) -> EmailMultiAlternatives:
    """The message in the recipient's language: HTML and plain text from the templates,
    the landlord's name, a preferences link and a List-Unsubscribe header (RFC 8058
    one-click: a POST to the same address switches this category's e-mails off)."""
    n = delivery.notification
    preferences_url = settings.SITE_URL + PREFERENCES_PATH.format(
        token=preferences_token(user_id=n.recipient_id, category=n.category)
    )
    sender = delivery.sender_name or "Voisinage"
    with translation.override(delivery.language or "fr"):
        context = {
            "title": n.title,
            "body": n.body,
            "sender": sender,
            "button_url": _button_url(delivery),
            "preferences_url": preferences_url,
            # An area's own link (an invitation) is not a sign-in link: no "signs you in".
            "magic_link": getattr(n.recipient, "role", "") in MAGIC_LINK_ROLES
            and "email_url" not in getattr(_kind(n.kind), "extra", {}),
            "max_age_days": max(1, settings.SESAME_MAX_AGE // 86400),
            "language": delivery.language or "fr",
        }
        text = render_to_string(TEMPLATES + "message.txt", context)
        html = render_to_string(TEMPLATES + "message.html", context)
        attachments = _attachments(n)
    message = EmailMultiAlternatives(
        subject=f"{n.title} · {sender}"[:250],
        body=text,
        to=[delivery.to_address],
        headers={
            "List-Unsubscribe": f"<{preferences_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-Voisinage-Notification": str(n.public_id),
        },
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def _attachments(n: Notification) -> list[tuple[str, bytes, str]]:
    """The files a kind attaches (`extra["email_attachments"]`: a function of the
    notification, given by the area that owns the kind, e.g. an interview's .ics), made at
    send time in the recipient's language."""
    spec = _kind(n.kind)
    make = spec.extra.get("email_attachments") if spec else None
    return list(make(notification=n)) if make else []


# --------------------------------------------------------------------------- sending


def _is_temporary(exc: Exception) -> tuple[bool, str]:
    """(temporary?, error code) of a failed send: 4xx SMTP answers and connection errors
    are worth a retry; 5xx answers (address refused, message refused) are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return all(400 <= code < 500 for code in codes), f"smtp_{codes[0] if codes else 'refused'}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500, f"smtp_{exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, "connection"
    if isinstance(exc, smtplib.SMTPException):  # e.g. STARTTLS refused: our configuration
        return False, type(exc).__name__[:40]
    if isinstance(exc, OSError):  # refused, reset, timed out, DNS: the server or the network
        return True, "connection"
    return False, type(exc).__name__[:40]


def deliver(ids: Sequence[int]) -> dict[str, int]:
    """Claim, send each message, record each outcome at once. Safe to run twice."""
    claimed = claim(ids)
    counts: dict[str, int] = {}
    if not claimed:
        return counts
    now = clock.now()
    backend = get_connection(fail_silently=False)
    retry_ids: list[int] = []
    try:
        for delivery in claimed:
            if delivery.expires_at <= now:
                _finish(delivery, status=EmailDelivery.Status.FAILED, code="expired")
                counts["expired"] = counts.get("expired", 0) + 1
                continue
            try:
                message = build(delivery)
                message.connection = backend
                message.send()
            except Exception as exc:
                temporary, code = _is_temporary(exc)
                logger.warning("e-mail %s not sent (%s): %s", delivery.pk, code, exc)
                if temporary and _reschedule(delivery, code=code, error=str(exc)):
                    retry_ids.append(delivery.pk)
                    counts["retry"] = counts.get("retry", 0) + 1
                else:
                    if not temporary:
                        _finish(
                            delivery,
                            status=EmailDelivery.Status.FAILED,
                            code=code,
                            error=str(exc),
                        )
                    counts["failed"] = counts.get("failed", 0) + 1
                # A broken connection is not reused for the next message.
                backend.close()
                continue
            _finish(delivery, status=EmailDelivery.Status.SENT)
            counts["sent"] = counts.get("sent", 0) + 1
    finally:
        backend.close()
    if retry_ids:
        latest = EmailDelivery.objects.filter(pk__in=retry_ids).order_by("-next_attempt_at")[0]
        countdown = max(0.0, (latest.next_attempt_at - clock.now()).total_seconds())
        outbox.emails_send(retry_ids, countdown=countdown)
    return counts


def _finish(delivery: EmailDelivery, *, status: str, code: str = "", error: str = "") -> None:
    now = clock.now()
    EmailDelivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        status=status,
        claimed_until=None,
        sent_at=now if status == EmailDelivery.Status.SENT else None,
        error_code=code,
        last_error=error[:1000],
        updated_at=now,
    )


def _reschedule(delivery: EmailDelivery, *, code: str, error: str) -> bool:
    """Pending again after a backoff; False (failed, `gave_up`) when that is past the TTL."""
    now = clock.now()
    when = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    if when >= delivery.expires_at:
        _finish(
            delivery, status=EmailDelivery.Status.FAILED, code="gave_up", error=f"{code}: {error}"
        )
        return False
    EmailDelivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        next_attempt_at=when,
        claimed_until=None,
        error_code=code,
        last_error=error[:1000],
        updated_at=now,
    )
    return True
