"""Erasure (issue 14 §5): confirmed with the password, the person's data is gone at once from
every text column, while the ledger and the matches keep their amounts, states and dates
under a pseudonym; unused vouchers are cancelled, devices deleted, sessions dead."""

import json
import os
from collections import Counter

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from notifications.models import Delivery, Device
from services.accounts.models import User
from services.jobs.models import Match, MatchTransition
from services.loyalty.models import Entry, Redemption
from services.loyalty.selectors import ledger_audit
from services.privacy import actions
from services.privacy.models import Erasure
from tests.conftest import client_for
from tests.factories import StaffFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

TEXT = (models.CharField, models.TextField, models.JSONField)


def found_in_database(word: str) -> list[str]:
    """Every (model.field) whose value contains `word`, over every text column of every
    table (JSON as stored: with its escapes too)."""
    variants = {word, json.dumps(word)[1:-1]}
    hits = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT):
                continue
            for variant in variants:
                if model._default_manager.filter(**{f"{field.name}__icontains": variant}).exists():
                    hits.append(f"{model._meta.label}.{field.name}")
    return hits


def files_containing(text: str) -> list[str]:
    hits = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                if text.encode() in handle.read():
                    hits.append(name)
    return hits


def erase(client, password, capture):
    with capture(execute=True):
        return client.delete("/api/v1/me/", {"password": password}, format="json")


def test_erasure_leaves_no_trace_of_the_person_and_the_ledger_balances(
    person, neighbour, django_capture_on_commit_callbacks
):
    user = person.tenant.user
    for word in person.words()[:3]:
        assert found_in_database(word), word  # the search finds what is there
    assert files_containing(person.cv_text)
    entries_before = list(
        Entry.objects.filter(account__tenant=person.tenant).values_list("points", "kind")
    )
    states_before = list(Match.objects.filter(tenant=person.tenant).values_list("state", flat=True))
    client = client_for(user)

    response = erase(client, PASSWORD, django_capture_on_commit_callbacks)

    assert response.status_code == 204
    for word in person.words():
        assert found_in_database(word) == [], word
    assert files_containing(person.cv_text) == []
    # The landlord's statistics keep their numbers, under a pseudonym.
    assert ledger_audit() == []
    entries_after = list(
        Entry.objects.filter(account__tenant=person.tenant).values_list("points", "kind")
    )
    assert not Counter(entries_before) - Counter(entries_after)  # every line kept as it was
    assert list(Match.objects.filter(tenant=person.tenant).values_list("state", flat=True)) == (
        states_before
    )
    assert MatchTransition.objects.filter(match__tenant=person.tenant).exists()
    pseudonym = User.objects.get(pk=user.pk)
    assert pseudonym.email.endswith("@" + actions.ERASED_DOMAIN)
    assert not pseudonym.is_active and not pseudonym.has_usable_password()
    assert pseudonym.public_id != user.public_id
    # Unused vouchers cancelled (their points back in the ledger), pushes stopped.
    assert not Redemption.objects.filter(tenant=person.tenant, status="issued").exists()
    assert not Device.objects.filter(user=user).exists()
    assert not Delivery.objects.filter(notification__recipient=user).exists()
    # The household codes it gave and nobody used die with it.
    invitations = apps.get_model("accounts", "HouseholdInvitation").objects
    assert invitations.filter(invited_by=person.tenant).exists()
    assert not invitations.filter(invited_by=person.tenant, cancelled_at__isnull=True).exists()
    # The log says when and how, and links to nobody.
    erasure = Erasure.objects.get()
    assert (erasure.origin, erasure.erased_by, erasure.landlord) == (
        "tenant",
        None,
        person.tenant.landlord,
    )
    # The neighbour is untouched.
    for word in neighbour.words()[:3]:
        assert found_in_database(word), word


def test_every_session_dies_and_a_replay_is_refused_cleanly(
    person, django_capture_on_commit_callbacks
):
    client = client_for(person.tenant.user)
    assert erase(client, PASSWORD, django_capture_on_commit_callbacks).status_code == 204

    replay = erase(client, PASSWORD, django_capture_on_commit_callbacks)
    assert replay.status_code == 401
    assert client.get("/api/v1/me/").status_code == 401
    assert Erasure.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": "not the password"}])
def test_without_the_right_password_nothing_is_erased(person, body):
    response = client_for(person.tenant.user).delete("/api/v1/me/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "wrong_password")
    assert User.objects.get(pk=person.tenant.user.pk).email == person.email
    assert not Erasure.objects.exists()


def test_wrong_passwords_count_like_failed_sign_ins(person, settings):
    client = client_for(person.tenant.user)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert client.delete("/api/v1/me/", {"password": "guess"}, format="json").status_code == 400
    locked = client.delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert (locked.status_code, locked.json()["code"]) == (429, "login_locked")
    assert not Erasure.objects.exists()


def test_staff_erase_on_a_written_request_logged_with_who(world, person):
    staff = StaffFactory(landlord=world.landlord_a, role="admin")

    erasure = actions.tenant_erase(
        actor=staff.user, tenant=person.tenant, request_reference="courrier du 3 mars"
    )

    assert (erasure.origin, erasure.erased_by, erasure.request_reference) == (
        "staff",
        staff.user,
        "courrier du 3 mars",
    )
    assert found_in_database(person.email) == []
    with pytest.raises(actions.AlreadyErased):
        actions.tenant_erase(actor=staff.user, tenant=person.tenant, request_reference="again")


@pytest.mark.parametrize("who", ["other_landlord", "job_advisor", "other_tenant"])
def test_who_may_not_erase_erases_nothing(world, person, who):
    actor = {
        "other_landlord": lambda: StaffFactory(landlord=world.landlord_b, role="admin").user,
        "job_advisor": lambda: StaffFactory(landlord=world.landlord_a, role="job_advisor").user,
        "other_tenant": lambda: world.tenant_a2.user,
    }[who]()

    with pytest.raises(actions.CannotErase):
        actions.tenant_erase(actor=actor, tenant=person.tenant, request_reference="x")

    assert User.objects.get(pk=person.tenant.user.pk).email == person.email


def test_a_voucher_issued_to_the_pseudonym_is_cancelled_by_the_next_retention_run(world):
    """A redemption in flight at the instant of the erasure (its request authenticated just
    before) can still issue a voucher: the nightly retention run cancels it."""
    from services.loyalty.actions import reward_redeem
    from services.privacy import tasks
    from tests.factories.loyalty import RewardFactory, give_points

    tenant = world.tenant_a
    give_points(tenant, 200)
    staff = StaffFactory(landlord=world.landlord_a, role="admin")
    actions.tenant_erase(actor=staff.user, tenant=tenant, request_reference="lettre")
    late = reward_redeem(tenant=tenant, reward=RewardFactory(landlord=world.landlord_a))

    tasks.retention_run()

    late.refresh_from_db()
    assert late.status == "cancelled"
    assert ledger_audit() == []
