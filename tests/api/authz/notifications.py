"""Devices and the inbox belong to each signed-in user; announcements are staff's."""

from notifications import services
from notifications.kinds import ANNOUNCEMENT, PASSWORD_CHANGED
from notifications.models import Announcement
from tests.factories.notifications import DeviceFactory

from .base import EVERYONE, Case, allow

OWN_ONLY = allow(*EVERYONE)


def _tenant_a_device(world) -> dict:
    return {"id": DeviceFactory(user=world.tenant_a.user).public_id}


def _tenant_a_notification(world) -> dict:
    (row,) = services.notify(recipients=[world.tenant_a.user], kind=PASSWORD_CHANGED)
    return {"id": row.public_id}


def _announcement_to_tenant_a(world) -> dict:
    announcement = Announcement.objects.create(
        landlord=world.landlord_a, author=world.staff_a.user, title="Info", body="Bonjour"
    )
    services.notify(
        recipients=[world.tenant_a.user],
        kind=ANNOUNCEMENT,
        params={"title": "Info", "body": "Bonjour"},
        link_id=announcement.public_id,
    )
    return {"id": announcement.public_id}


# Someone else's device or notification is a 404 for everybody but its owner.
TENANT_A_ONLY = allow("tenant_a", hidden=tuple(r for r in EVERYONE if r != "tenant_a"))

EXPECTATIONS = {
    ("GET", "/devices/"): Case(expect=OWN_ONLY),
    ("POST", "/devices/"): Case(
        expect=OWN_ONLY, body={"token": "authz-token", "platform": "android"}
    ),
    ("DELETE", "/devices/{id}/"): Case(make=_tenant_a_device, expect=TENANT_A_ONLY),
    ("GET", "/notifications/"): Case(expect=OWN_ONLY),
    ("GET", "/notifications/unread-count/"): Case(expect=OWN_ONLY),
    ("GET", "/notifications/{id}/"): Case(make=_tenant_a_notification, expect=TENANT_A_ONLY),
    ("POST", "/notifications/{id}/read/"): Case(make=_tenant_a_notification, expect=TENANT_A_ONLY),
    ("POST", "/notifications/read-all/"): Case(expect=OWN_ONLY),
    ("GET", "/notifications/preferences/"): Case(expect=OWN_ONLY),
    ("PUT", "/notifications/preferences/"): Case(
        expect=OWN_ONLY,
        body={"preferences": [{"category": "jobs", "channel": "push", "enabled": False}]},
    ),
    # Its recipients and its landlord's staff open it; to anyone else it does not exist.
    ("GET", "/announcements/{id}/"): Case(
        make=_announcement_to_tenant_a,
        expect=allow(
            "tenant_a",
            "staff_a",
            hidden=("tenant_a2", "tenant_b", "staff_b", "employer"),
        ),
    ),
    ("POST", "/announcements/"): Case(
        expect=allow("staff_a", "staff_b"), body={"title": "Info", "body": "Bonjour"}
    ),
}
