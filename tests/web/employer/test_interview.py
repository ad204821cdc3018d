"""After the answer: the tenant's contact details (logged), the interview, hired or not."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from services.accounts.models import PartnerAccess
from services.jobs import actions
from services.jobs.models import Match, RevealedProfileView

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def _url(match):
    return f"/espace/candidats/{match.public_id}/"


def _at_step(match, state, **fields):
    Match.objects.filter(pk=match.pk).update(state=state, **fields)
    match.refresh_from_db()
    return match


def test_contact_details_once_introduced_and_every_view_is_logged(companies):
    client = signed_in(companies.member_a)
    companies.tenant_a.user.phone = "+33612345678"
    companies.tenant_a.user.save(update_fields=["phone"])
    for _ in range(2):
        text = client.get(_url(companies.match_a)).content.decode()
        assert "Zoé Tenantissime" in text
        assert companies.tenant_a.user.email in text
        assert "+33612345678" in text
    views = RevealedProfileView.objects.filter(match=companies.match_a, viewer=companies.member_a)
    assert views.filter(what="profile").count() == 2


def test_no_contact_details_after_the_tenant_withdrew_the_introduction(companies):
    actions.consent_set(tenant=companies.tenant_a, purpose="introduction", granted=False)
    text = signed_in(companies.member_a).get(_url(companies.match_a)).content.decode()
    assert "Vendeur en boulangerie" in text
    for identity in ("Zoé", "Tenantissime", companies.tenant_a.user.email):
        assert identity not in text
    assert not RevealedProfileView.objects.filter(match=companies.match_a).exists()


def test_propose_an_interview_notifies_the_tenant(companies, django_capture_on_commit_callbacks):
    match = _at_step(companies.match_a, Match.State.EMPLOYER_INTERESTED)
    client = signed_in(companies.member_a)
    day = timezone.localdate() + timedelta(days=4)
    body = {"step": "interview", "date": day.isoformat(), "time": "10:30", "place": "Au fournil"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(match), body)
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.state == Match.State.INTERVIEW
    assert timezone.localtime(match.interview_at).strftime("%H:%M") == "10:30"
    assert match.interview_place == "Au fournil"
    sent = companies.tenant_a.user.notifications.get(kind="jobs.interview")
    assert "Au fournil" in sent.body
    assert sent.data["ics"] == f"/api/v1/jobs/matches/{match.public_id}/interview.ics/"
    page = client.get(_url(match)).content.decode()
    assert "Au fournil" in page
    assert "Hired" in page or "Embauché" in page


def test_an_interview_in_the_past_is_refused_beside_the_field(companies):
    match = _at_step(companies.match_a, Match.State.EMPLOYER_INTERESTED)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = signed_in(companies.member_a).post(
        _url(match), {"step": "interview", "date": yesterday, "time": "09:00", "place": "Ici"}
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert 'value="Ici"' in response.content.decode()
    match.refresh_from_db()
    assert match.state == Match.State.EMPLOYER_INTERESTED


def test_an_interview_before_the_employer_was_interested_is_refused_not_500(companies):
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = signed_in(companies.member_a).post(
        _url(companies.match_a), {"step": "interview", "date": day, "time": "09:00", "place": "X"}
    )
    assert response.status_code == 200
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.PROPOSED


def test_hired_needs_a_start_date(companies, django_capture_on_commit_callbacks):
    match = _at_step(
        companies.match_a,
        Match.State.INTERVIEW,
        interview_at=timezone.now() - timedelta(days=1),
        interview_place="Au fournil",
    )
    client = signed_in(companies.member_a)
    response = client.post(_url(match), {"step": "outcome", "outcome": "hired"})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    start = date.today() + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(match), {"step": "outcome", "outcome": "hired", "start_date": start.isoformat()}
        )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.state == Match.State.HIRED
    assert match.hire_start_date == start
    assert companies.tenant_a.user.notifications.filter(kind="jobs.hired").exists()


def test_not_hired(companies):
    match = _at_step(companies.match_a, Match.State.INTERVIEW, interview_at=timezone.now())
    response = signed_in(companies.member_a).post(
        _url(match), {"step": "outcome", "outcome": "not_hired"}
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.state == Match.State.NOT_HIRED


def test_another_company_cannot_plan_or_conclude_by_url(companies):
    match = _at_step(companies.match_a, Match.State.EMPLOYER_INTERESTED)
    client = signed_in(companies.member_b)
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    body = {"step": "interview", "date": day, "time": "09:00", "place": "X"}
    assert client.post(_url(match), body).status_code == 404
    assert client.post(_url(match), {"step": "outcome", "outcome": "not_hired"}).status_code == 404
    match.refresh_from_db()
    assert match.state == Match.State.EMPLOYER_INTERESTED
    assert not RevealedProfileView.objects.filter(viewer=companies.member_b).exists()


def test_a_member_not_granted_the_landlord_cannot_plan_an_interview(companies):
    match = _at_step(companies.match_a, Match.State.EMPLOYER_INTERESTED)
    PartnerAccess.objects.filter(member__user=companies.member_a).delete()
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = signed_in(companies.member_a).post(
        _url(match), {"step": "interview", "date": day, "time": "09:00", "place": "X"}
    )
    assert response.status_code == 404
    match.refresh_from_db()
    assert match.state == Match.State.EMPLOYER_INTERESTED
