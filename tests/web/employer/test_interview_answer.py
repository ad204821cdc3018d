"""The member's candidate page after the tenant answered the interview: the answer (and the
tenant's words while the tenant agrees to be introduced), and another date to propose."""

from datetime import timedelta

import pytest
from django.utils import timezone

from services.jobs import actions, interview_answers
from services.jobs.models import Match

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def _url(match):
    return f"/espace/candidats/{match.public_id}/"


@pytest.fixture
def answered(companies, django_capture_on_commit_callbacks):
    Match.objects.filter(pk=companies.match_a.pk).update(
        state=Match.State.INTERVIEW,
        interview_at=timezone.now() + timedelta(days=2),
        interview_place="Au fournil",
    )
    with django_capture_on_commit_callbacks(execute=True):
        interview_answers.match_interview_answer(
            user=companies.tenant_a.user,
            match=companies.match_a,
            answer="another_time",
            message="Plutôt le jeudi, Zoé",
        )
    companies.match_a.refresh_from_db()
    return companies.match_a


def test_the_member_reads_the_answer_and_proposes_another_date(
    companies, answered, django_capture_on_commit_callbacks
):
    client = signed_in(companies.member_a)
    page = client.get(_url(answered)).content.decode()
    assert "Le candidat demande un autre horaire." in page
    assert "Son message : « Plutôt le jeudi, Zoé »" in page
    assert "Proposer une autre date" in page

    day = timezone.localdate() + timedelta(days=5)
    body = {"step": "interview", "date": day.isoformat(), "time": "14:00", "place": "Au fournil"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(answered), body)
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.state == Match.State.INTERVIEW
    assert timezone.localdate(answered.interview_at) == day
    assert answered.interview_answer == ""
    told = companies.tenant_a.user.notifications.filter(kind="jobs.interview")
    assert told.count() == 1
    page = client.get(_url(answered)).content.decode()
    assert "demande un autre horaire" not in page


def test_the_tenants_words_are_hidden_once_the_introduction_is_withdrawn(companies, answered):
    actions.consent_set(tenant=companies.tenant_a, purpose="introduction", granted=False)
    page = signed_in(companies.member_a).get(_url(answered)).content.decode()
    assert "Le candidat demande un autre horaire." in page
    assert "Plutôt le jeudi" not in page and "Zoé" not in page
