"""The tenant answers the planned interview (will come / will not come / another time): the
employer's members hear of it by e-mail; the employer may plan another date."""

import datetime

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from notifications.models import Notification
from services.jobs import interview_answers, transitions
from services.jobs.models import JobProfile, Match
from tests.conftest import client_for
from tests.factories import EmployerMemberFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
WHEN = NOW + datetime.timedelta(days=3, hours=5)  # 5 November, 15:00 in Paris


@pytest.fixture
def interview(world):
    JobProfileFactory(tenant=world.tenant_a)
    with time_machine.travel(NOW, tick=False):
        return MatchFactory(
            tenant=world.tenant_a,
            offer=OfferFactory(employer=world.employer_a, title="Agent de propreté"),
            state=Match.State.INTERVIEW,
            proposed_at=NOW,
            interview_at=WHEN,
            interview_place="3 avenue du Port",
        )


def _answer(world, match, capture, answer="another_time", message="", user=None):
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        return interview_answers.match_interview_answer(
            user=user or world.tenant_a.user, match=match, answer=answer, message=message
        )


def _answered(user):
    return Notification.objects.filter(recipient=user, kind="jobs.interview_answered")


def test_the_members_hear_the_answer_by_email(world, interview, django_capture_on_commit_callbacks):
    member = world.employer_member.user
    english = EmployerMemberFactory(employer=world.employer_a, user__language="en").user
    moved = _answer(
        world, interview, django_capture_on_commit_callbacks, message="Plutôt jeudi matin ?"
    )

    assert moved.state == Match.State.INTERVIEW
    interview.refresh_from_db()
    assert (interview.interview_answer, interview.interview_answer_message) == (
        "another_time",
        "Plutôt jeudi matin ?",
    )
    assert interview.interview_answered_at == NOW
    [french] = [m for m in mail.outbox if m.to == [member.email]]
    assert "Réponse à l’entretien : Agent de propreté" in french.subject
    assert "le candidat demande un autre horaire." in french.body
    assert "5 novembre 2026 15:00" in french.body
    assert "Son message : « Plutôt jeudi matin ? »" in french.body
    assert f"candidats%2F{interview.public_id}%2F" in french.body
    [other] = [m for m in mail.outbox if m.to == [english.email]]
    assert "the candidate asks for another time." in other.body
    # The tenant's own inbox gets nothing of it.
    assert not _answered(world.tenant_a.user).exists()


def test_the_same_answer_twice_tells_nobody_again_a_new_one_does(
    world, interview, django_capture_on_commit_callbacks
):
    member = world.employer_member.user
    _answer(world, interview, django_capture_on_commit_callbacks, answer="accepted")
    _answer(world, interview, django_capture_on_commit_callbacks, answer="accepted")
    assert _answered(member).count() == 1
    _answer(world, interview, django_capture_on_commit_callbacks, answer="declined")
    assert _answered(member).count() == 2
    assert "ne viendra pas" in _answered(member).order_by("-id").first().body


def test_the_tenants_words_stay_out_once_the_introduction_consent_is_withdrawn(
    world, interview, django_capture_on_commit_callbacks
):
    JobProfile.objects.filter(tenant=world.tenant_a).update(introduction_consent=False)
    _answer(
        world,
        interview,
        django_capture_on_commit_callbacks,
        answer="accepted",
        message="Zoé, au 06 12 34 56 78",
    )
    [message] = mail.outbox
    assert "le candidat viendra." in message.body
    assert "06 12" not in message.body and "Son message" not in message.body


def test_who_may_answer_and_when(world, interview, django_capture_on_commit_callbacks):
    for user in (world.staff_a.user, world.employer_member.user, world.tenant_a2.user):
        with pytest.raises(interview_answers.InterviewAnswerNotAllowed):
            _answer(world, interview, django_capture_on_commit_callbacks, user=user)
    with pytest.raises(interview_answers.InvalidInterviewAnswer):
        _answer(world, interview, django_capture_on_commit_callbacks, answer="maybe")
    with pytest.raises(interview_answers.InvalidInterviewAnswer):
        _answer(world, interview, django_capture_on_commit_callbacks, message="x" * 501)
    with (
        time_machine.travel(WHEN, tick=False),
        pytest.raises(interview_answers.InterviewPassed),
    ):
        interview_answers.match_interview_answer(
            user=world.tenant_a.user, match=interview, answer="accepted"
        )
    Match.objects.filter(pk=interview.pk).update(state=Match.State.HIRED)
    with pytest.raises(interview_answers.NoInterviewToAnswer):
        _answer(world, interview, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind="jobs.interview_answered").exists()
    assert mail.outbox == []


def test_another_date_clears_the_answer_and_replaces_the_event(
    world, interview, django_capture_on_commit_callbacks
):
    _answer(world, interview, django_capture_on_commit_callbacks, message="Jeudi ?")
    mail.outbox.clear()
    later = WHEN + datetime.timedelta(days=1)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        transitions.match_transition(
            match=interview,
            actor=world.employer_member.user,
            to=Match.State.INTERVIEW,
            expected_state=Match.State.INTERVIEW,
            data={"interview_at": later, "interview_place": "3 avenue du Port"},
        )
    interview.refresh_from_db()
    assert (interview.interview_at, interview.interview_answer) == (later, "")
    assert interview.interview_answer_message == "" and interview.interview_answered_at is None
    told = Notification.objects.filter(recipient=world.tenant_a.user, kind="jobs.interview")
    assert "6 novembre" in told.get().body
    [confirmation] = mail.outbox
    event = Calendar.from_ical(confirmation.attachments[0][1]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == later
    assert str(event["uid"]) == f"interview-{interview.public_id}@voisinage"  # replaces it


def test_the_api_takes_the_answer(world, interview, django_capture_on_commit_callbacks):
    url = f"/api/v1/jobs/matches/{interview.public_id}/interview-answer/"
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        client = client_for(world.tenant_a.user)
        bad = client.post(url, {"answer": "maybe"}, format="json")
        stale = client.post(
            url, {"answer": "accepted", "expected_state": "proposed"}, format="json"
        )
        ok = client.post(url, {"answer": "accepted", "message": "À jeudi"}, format="json")
    assert bad.status_code == 400 and "answer" in bad.json()["fields"]
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_state")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["state"] == "interview"
    assert ok.json()["interview_answer"] == "accepted"
    assert len(mail.outbox) == 1
    with time_machine.travel(WHEN, tick=False):
        passed = client_for(world.tenant_a.user).post(url, {"answer": "declined"}, format="json")
    assert (passed.status_code, passed.json()["code"]) == (409, "interview_passed")
