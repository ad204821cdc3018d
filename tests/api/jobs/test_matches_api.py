import datetime

import pytest

from notifications.models import Notification
from services.jobs import actions
from services.jobs.models import Match, MatchTransition, Offer, RevealedProfileView
from services.jobs.policies import candidate_pseudonym
from tests.conftest import client_for
from tests.factories import EmployerMemberFactory, TenantFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    profile = JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    return profile, offer


def _post(user, url, body=None):
    return client_for(user).post(url, body or {}, format="json")


def _url(match, what=""):
    return f"/api/v1/jobs/matches/{match.public_id}/{what + '/' if what else ''}"


def test_interest_creates_an_interested_match_once(world, setup):
    _profile, offer = setup
    url = f"/api/v1/jobs/offers/{offer.public_id}/interest/"
    response = _post(world.tenant_a.user, url)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "interested"
    assert body["score"] == 85
    assert body["allowed_transitions"] == ["withdrawn"]
    assert [t["to_state"] for t in body["transitions"]] == ["interested"]
    again = _post(world.tenant_a.user, url)
    assert again.status_code == 409
    assert again.json()["code"] == "already_interested"
    assert Match.objects.count() == 1


def test_interest_needs_the_introduction_consent(world, setup):
    profile, offer = setup
    actions.consent_set(tenant=profile.tenant, purpose="introduction", granted=False)
    response = _post(world.tenant_a.user, f"/api/v1/jobs/offers/{offer.public_id}/interest/")
    assert response.status_code == 409
    assert response.json()["code"] == "introduction_consent_required"
    assert not Match.objects.exists()


def test_the_whole_path_to_a_hire(world, setup):
    _profile, offer = setup
    other = MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.PROPOSED,
    )
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.INTERESTED)
    employer = world.employer_member.user

    # The employer does not see an interested match before staff propose it.
    assert client_for(employer).get(_url(match)).status_code == 404

    r = _post(world.staff_a.user, _url(match, "propose"), {"expected_state": "interested"})
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "proposed"
    assert Notification.objects.filter(recipient=employer, kind="jobs.match_proposed").count() == 1

    r = _post(employer, _url(match, "answer"), {"decision": "interested", "message": "Bonjour"})
    assert r.json()["state"] == "employer_interested"
    answered = Notification.objects.get(
        recipient=world.tenant_a.user, kind="jobs.employer_answered"
    )
    assert "intéressé" in answered.body

    r = _post(
        employer,
        _url(match, "transition"),
        {
            "to": "interview",
            "expected_state": "employer_interested",
            "interview_at": "2026-12-03T10:00:00+01:00",
            "interview_place": "3 avenue du Port",
        },
    )
    assert r.status_code == 200, r.json()
    assert Notification.objects.filter(kind="jobs.interview").count() == 1

    r = _post(employer, _url(match, "transition"), {"to": "hired", "hire_start_date": "2026-12-15"})
    assert r.status_code == 200, r.json()
    assert r.json()["hire_start_date"] == "2026-12-15"
    other.refresh_from_db()
    assert other.state == Match.State.OBSOLETE
    offer.refresh_from_db()
    assert (offer.hires, offer.status) == (1, Offer.Status.FILLED)  # its only position
    log = list(
        match.transitions.order_by("at", "id").values_list("from_state", "to_state", "actor_kind")
    )
    assert log == [
        ("", "interested", "system"),
        ("interested", "proposed", "staff"),
        ("proposed", "employer_interested", "employer"),
        ("employer_interested", "interview", "employer"),
        ("interview", "hired", "employer"),
    ]


def test_filling_the_last_position_closes_the_offers_open_matches(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.INTERVIEW)
    waiting = MatchFactory(tenant=world.tenant_a2, offer=offer, state=Match.State.INTERESTED)
    r = _post(
        world.employer_member.user,
        _url(match, "transition"),
        {"to": "hired", "hire_start_date": "2026-12-15"},
    )
    assert r.status_code == 200
    offer.refresh_from_db()
    waiting.refresh_from_db()
    assert offer.status == Offer.Status.FILLED
    assert waiting.state == Match.State.OBSOLETE


def test_a_stale_expected_state_is_409_and_changes_nothing(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    before = MatchTransition.objects.count()
    r = _post(
        world.employer_member.user,
        _url(match, "answer"),
        {"decision": "interested", "expected_state": "postponed"},
    )
    assert r.status_code == 409
    assert r.json()["code"] == "stale_state"
    assert r.json()["state"] == "proposed"
    match.refresh_from_db()
    assert match.state == Match.State.PROPOSED
    assert MatchTransition.objects.count() == before
    assert not Notification.objects.exists()


def test_transitions_outside_the_table_are_409_and_the_wrong_side_is_403(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    r = _post(
        world.employer_member.user,
        _url(match, "transition"),
        {"to": "hired", "hire_start_date": "2026-12-15"},
    )
    assert (r.status_code, r.json()["code"]) == (409, "invalid_transition")
    r = _post(world.tenant_a.user, _url(match, "transition"), {"to": "employer_interested"})
    assert (r.status_code, r.json()["code"]) == (403, "transition_not_allowed")
    r = _post(world.staff_a.user, _url(match, "transition"), {"to": "withdrawn", "reason": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "transition_not_allowed")
    match.refresh_from_db()
    assert match.state == Match.State.PROPOSED


def test_declined_reason_is_shown_to_the_tenant_only_when_the_employer_says_so(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    r = _post(
        world.employer_member.user,
        _url(match, "answer"),
        {"decision": "declined", "message": "Poste pourvu en interne"},
    )
    assert (r.status_code, r.json()["code"]) == (400, "transition_field_required")
    r = _post(
        world.employer_member.user,
        _url(match, "answer"),
        {"decision": "declined", "reason": "distance", "message": "Trop loin"},
    )
    assert r.json()["state"] == "declined"
    seen = client_for(world.tenant_a.user).get(_url(match)).json()
    assert seen["decline_reason"] is None
    assert seen["employer_message"] is None
    note = Notification.objects.get(kind="jobs.employer_answered")
    assert "Trop loin" not in note.body and "distance" not in note.body.lower()


def test_declined_reason_visible_to_tenant(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.POSTPONED)
    _post(
        world.employer_member.user,
        _url(match, "answer"),
        {
            "decision": "declined",
            "reason": "distance",
            "reason_visible_to_tenant": True,
        },
    )
    seen = client_for(world.tenant_a.user).get(_url(match)).json()
    assert seen["decline_reason"] == "distance"


def test_tenant_withdraws_with_a_reason(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    r = _post(world.tenant_a.user, _url(match, "transition"), {"to": "withdrawn"})
    assert (r.status_code, r.json()["fields"]) == (400, {"withdraw_reason": ["Obligatoire."]}) or (
        r.status_code == 400
    )
    r = _post(
        world.tenant_a.user,
        _url(match, "transition"),
        {"to": "withdrawn", "reason": "J'ai trouvé ailleurs"},
    )
    assert r.json()["state"] == "withdrawn"
    assert r.json()["withdraw_reason"] == "J'ai trouvé ailleurs"


def test_employer_sees_identity_only_after_introduction_and_each_view_is_logged(world, setup):
    profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    employer = client_for(world.employer_member.user)
    user = world.tenant_a.user
    body = employer.get(_url(match)).json()
    assert body["candidate"]["revealed"] is True
    assert body["candidate"]["email"] == user.email
    assert (
        RevealedProfileView.objects.filter(match=match, viewer=world.employer_member.user).count()
        == 1
    )
    employer.get("/api/v1/jobs/matches/")
    assert RevealedProfileView.objects.filter(match=match).count() == 2

    actions.consent_set(tenant=world.tenant_a, purpose="introduction", granted=False)
    response = employer.get(_url(match))
    text = response.content.decode()
    assert response.json()["candidate"] == {
        "id": str(candidate_pseudonym(profile=profile, offer=offer, side="employer")),
        "revealed": False,
        "first_name": None,
        "last_name": None,
        "email": None,
        "phone": None,
        "has_cv": False,
    }
    for secret in (user.email, user.last_name, world.residence_a.address):
        assert secret not in text
    listed = employer.get("/api/v1/jobs/matches/").content.decode()
    assert user.email not in listed and user.last_name not in listed
    assert RevealedProfileView.objects.filter(match=match).count() == 2
    assert employer.get(_url(match, "cv")).status_code == 404


def test_employer_of_another_company_never_sees_the_match(world, setup):
    _profile, offer = setup
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    stranger = EmployerMemberFactory().user
    assert client_for(stranger).get(_url(match)).status_code == 404


@pytest.mark.parametrize("n", [1, 100])
def test_match_list_query_count_does_not_grow(world, n, django_assert_num_queries):
    for _ in range(n):
        tenant = TenantFactory(residence=world.residence_a)
        JobProfileFactory(tenant=tenant)
        MatchFactory(
            tenant=tenant, offer=OfferFactory(employer=world.employer_a), state=Match.State.PROPOSED
        )
    for user in (world.employer_member.user, world.staff_a.user):
        client = client_for(user)
        # The employer's two more: the landlords that granted this member their partnership.
        # (Two fewer than before `actions.matches_show`: no savepoint around the view log.)
        with django_assert_num_queries(4 if user == world.employer_member.user else 2):
            response = client.get("/api/v1/jobs/matches/?page_size=100")
        assert len(response.json()["results"]) == n


def test_stats_for_staff(world, setup):
    _profile, offer = setup
    start = datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)
    MatchFactory(
        tenant=world.tenant_a,
        offer=offer,
        state=Match.State.DECLINED,
        proposed_at=start,
        answered_at=start + datetime.timedelta(days=3),
    )
    MatchFactory(
        tenant=world.tenant_a2,
        offer=offer,
        state=Match.State.HIRED,
        proposed_at=start,
        answered_at=start + datetime.timedelta(days=5),
    )
    MatchFactory(tenant=world.tenant_b, offer=offer, state=Match.State.HIRED)
    body = client_for(world.staff_a.user).get("/api/v1/jobs/stats/").json()
    assert body["hires"] == 1
    assert body["matches_by_state"]["declined"] == 1
    assert body["median_days_to_employer_answer"] == 4.0
    assert body["published_offers"] == 1


def test_points_for_the_first_introduction_and_a_hire_are_awarded_once(world, setup):
    from services.loyalty.models import Entry

    _profile, offer = setup
    first = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.INTERESTED)
    second = MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.INTERESTED,
    )
    for match in (first, second):
        _post(world.staff_a.user, _url(match, "propose"))
    assert list(Entry.objects.values_list("reason", flat=True)) == ["first_match_introduction"]
    Match.objects.filter(pk=first.pk).update(state=Match.State.INTERVIEW)
    _post(
        world.employer_member.user,
        _url(first, "transition"),
        {"to": "hired", "hire_start_date": "2026-12-15"},
    )
    assert sorted(Entry.objects.values_list("reason", flat=True)) == [
        "first_match_introduction",
        "hire",
    ]


def test_notifications_speak_the_recipients_language(world, setup):
    _profile, offer = setup
    user = world.tenant_a.user
    user.language = "en"
    user.save()
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    _post(world.employer_member.user, _url(match, "answer"), {"decision": "postponed"})
    note = Notification.objects.get(recipient=user)
    assert (note.title, note.body) == (
        "Océan Propreté answered",
        "About Agent d'entretien: the employer will answer later.",
    )
