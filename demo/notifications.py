"""Demo inbox notifications and devices for a few demo people (after the accounts demo).

Idempotent: devices are keyed by their token, and a user whose inbox already has rows is
left alone. People are looked up by e-mail; without the accounts demo nothing happens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model

from notifications.email import magic_link
from notifications.kinds import ANNOUNCEMENT, PASSWORD_CHANGED
from notifications.models import Device, Notification
from notifications.services import notify

if TYPE_CHECKING:  # accounts is above notifications: its types only
    from services.accounts.models import User

DEMO_DOMAIN = "demo.voisinage.test"
STAFF_EMAILS = ("admin.iaa@demo.voisinage.test", "proximite.iaa@demo.voisinage.test")
PLATFORMS = ("android", "ios", "android", "web")

ANNOUNCEMENTS = (
    (
        "Coupure d'eau jeudi matin",
        "L'eau sera coupée jeudi de 9 h à 12 h pour l'entretien des colonnes montantes, "
        "bâtiments A et B. Merci de votre compréhension.",
    ),
    (
        "Fête des voisins vendredi",
        "Rendez-vous vendredi à 18 h dans la cour : chacun apporte un plat ou une boisson. "
        "Les enfants sont les bienvenus !",
    ),
)


def _demo_people() -> list[User]:
    User = get_user_model()
    tenants = list(
        User.objects.filter(
            role=User.Role.TENANT,
            email__endswith=f"@{DEMO_DOMAIN}",
            tenant__landlord__slug="iaa",
        ).order_by("email")[:3]
    )
    staff = list(User.objects.filter(email__in=STAFF_EMAILS).order_by("email"))
    return tenants + staff


def seed(*, out) -> None:
    people = _demo_people()
    filled = 0
    for index, user in enumerate(people):
        local = user.email.split("@")[0].replace(".", "-")
        Device.objects.get_or_create(
            identifier=f"demo-fcm-token-{local}",
            defaults={
                "user": user,
                "platform": PLATFORMS[index % len(PLATFORMS)],
                "app_version": "1.4.0",
                "locale": "fr-FR",
                "last_seen_at": user.date_joined,
            },
        )
        if Notification.objects.filter(recipient=user).exists():
            continue
        for title, body in ANNOUNCEMENTS:
            notify(recipients=[user], kind=ANNOUNCEMENT, params={"title": title, "body": body})
        notify(recipients=[user], kind=PASSWORD_CHANGED)
        filled += 1
    out.write(f"notifications: {len(people)} demo devices, {filled} inbox(es) filled\n")
    _print_employer_link(out)


def _print_employer_link(out) -> None:
    """A fresh sign-in link for a demo employer member (the e-mails they get carry the same
    kind of link; with `make run` those e-mails are files under var/mail/)."""
    User = get_user_model()
    member = (
        User.objects.filter(
            role="employer",
            is_active=True,
            email__endswith=f"@{DEMO_DOMAIN}",
            employer_member__isnull=False,
        )
        .order_by("email")
        .first()
    )
    if member is None:
        return
    out.write(
        f"employer pages: sign in as {member.email} with this link "
        f"(valid {settings.SESAME_MAX_AGE // 86400} days; e-mails land in var/mail/):\n"
        f"  {magic_link(member)}\n"
    )
