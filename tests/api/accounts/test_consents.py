"""Consents (issue 14 §7): push marketing is a purpose of its own, versioned and dated like
the job consents; marketing announcements reach only those who granted it; a tenant sees
their consents and which companies saw their revealed profile, nothing about the members."""

import datetime

import pytest
import time_machine

from notifications import services
from notifications.models import Announcement, Notification
from services.accounts.consents import MARKETING_CONSENT_VERSION
from services.jobs import actions as jobs_actions
from services.jobs.models import RevealedProfileView
from tests.conftest import client_for
from tests.factories.jobs import MatchFactory
from tests.web.conftest import web_client_for

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def _set(tenant, granted, at):
    with time_machine.travel(at, tick=False):
        response = client_for(tenant.user).post(
            "/api/v1/me/consents/",
            {"purpose": "push_marketing", "granted": granted},
            format="json",
        )
    assert response.status_code == 201
    return response.json()


def _announce(world, capture, *, marketing):
    with capture(execute=True):
        announcement = services.announcement_create(
            author=world.staff_a.user,
            title="Soldes",
            body="Chez nos partenaires.",
            marketing=marketing,
        )
    return set(
        Notification.objects.filter(link_id=str(announcement.public_id)).values_list(
            "recipient_id", flat=True
        )
    )


def test_marketing_announcements_reach_only_tenants_whose_latest_answer_is_yes(
    world, django_capture_on_commit_callbacks
):
    a, a2 = world.tenant_a, world.tenant_a2
    _set(a, True, T0)
    _set(a2, True, T0)
    _set(a2, False, T0 + datetime.timedelta(days=1))  # withdrawn since
    assert _announce(world, django_capture_on_commit_callbacks, marketing=True) == {a.user.pk}
    # A service message (the default) still reaches every current tenant.
    service = _announce(world, django_capture_on_commit_callbacks, marketing=False)
    assert service == {a.user.pk, a2.user.pk}


def test_no_answer_means_no_marketing(world, django_capture_on_commit_callbacks):
    assert _announce(world, django_capture_on_commit_callbacks, marketing=True) == set()


def test_a_tenant_sees_every_consent_with_date_and_version(world):
    tenant = world.tenant_a
    with time_machine.travel(T0, tick=False):
        jobs_actions.consent_set(tenant=tenant, purpose="matching", granted=True)
    _set(tenant, True, T0 + datetime.timedelta(hours=1))
    _set(tenant, False, T0 + datetime.timedelta(hours=2))
    _set(world.tenant_a2, True, T0)  # someone else's: never listed
    response = client_for(tenant.user).get("/api/v1/me/consents/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "purpose": "push_marketing",
            "granted": False,
            "version": MARKETING_CONSENT_VERSION,
            "at": "2026-03-02T13:00:00+01:00",
        },
        {
            "purpose": "push_marketing",
            "granted": True,
            "version": MARKETING_CONSENT_VERSION,
            "at": "2026-03-02T12:00:00+01:00",
        },
        {
            "purpose": "matching",
            "granted": True,
            "version": jobs_actions.CONSENT_VERSION,
            "at": "2026-03-02T11:00:00+01:00",
        },
    ]


def test_unknown_purpose_is_a_400(world):
    response = client_for(world.tenant_a.user).post(
        "/api/v1/me/consents/", {"purpose": "selling_data", "granted": True}, format="json"
    )
    assert response.status_code == 400
    assert "purpose" in response.json()["fields"]


def test_profile_views_name_the_company_and_the_time_only(world):
    match = MatchFactory(tenant=world.tenant_a, offer__employer=world.employer_a)
    RevealedProfileView.objects.create(
        match=match, viewer=world.employer_member.user, what="profile", at=T0
    )
    other = MatchFactory(tenant=world.tenant_a2, offer__employer=world.employer_a)
    RevealedProfileView.objects.create(
        match=other, viewer=world.employer_member.user, what="cv", at=T0
    )
    response = client_for(world.tenant_a.user).get("/api/v1/me/profile-views/")
    assert response.status_code == 200
    assert response.json() == [
        {"company": world.employer_a.name, "what": "profile", "at": "2026-03-02T11:00:00+01:00"}
    ]
    member = world.employer_member.user
    for personal in (member.email, member.first_name, member.last_name):
        assert not personal or personal not in response.content.decode()


def test_staff_mark_an_announcement_as_marketing_through_the_api_and_the_console(
    world, django_capture_on_commit_callbacks
):
    _set(world.tenant_a, True, T0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.staff_a.user).post(
            "/api/v1/announcements/",
            {"title": "Soldes", "body": "Chez nos partenaires.", "marketing": True},
            format="json",
        )
    assert response.status_code == 202
    assert response.json()["marketing"] is True
    reached = Notification.objects.filter(link_id=response.json()["id"])
    assert [n.recipient for n in reached] == [world.tenant_a.user]
    console = web_client_for(world.staff_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        page = console.post(
            "/console/announcements/new/",
            {"title": "Vide-grenier", "body": "Samedi", "marketing": "on"},
        )
    assert page.status_code == 302
    assert Announcement.objects.get(title="Vide-grenier").marketing is True
