"""The sweep goes on past one poisoned fan-out: logged with its id, counted, the others
re-scheduled (issue 10 §4)."""

import pytest
import time_machine

from notifications import services
from notifications.models import Announcement, Notification
from notifications.tasks import sweep_pending_deliveries
from tests.poison import failed_ids, refuse

pytestmark = pytest.mark.django_db


def test_the_sweep_resumes_the_other_fan_outs_past_one_the_database_refuses(
    world, django_capture_on_commit_callbacks, caplog
):
    lost = django_capture_on_commit_callbacks(execute=False)  # the broker was down
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False), lost:
        poisoned, healthy = (
            services.announcement_create(author=world.staff_a.user, title=title, body="…")
            for title in ("Coupure d'eau", "Fête des voisins")
        )
    refuse(Announcement, on="UPDATE", when=f"OLD.id = {poisoned.pk}")

    later = time_machine.travel("2026-11-27 10:06:00+00:00", tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        sweep_pending_deliveries()

    poisoned.refresh_from_db()
    healthy.refresh_from_db()
    assert (poisoned.status, healthy.status) == ("pending", "done")
    titles = set(Notification.objects.values_list("title", flat=True))
    assert titles == {"Fête des voisins"}
    assert failed_ids(caplog, "notifications.sweep: announcements") == [str(poisoned.pk)]
