"""services.jobs.visibility: one match, three viewers, each redaction decided in the domain;
and only showing a revealed identity to an employer writes a view log."""

from services.jobs import actions
from services.jobs.models import Match, RevealedProfileView
from services.jobs.visibility import match_as_seen
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory


def _declined(world, *, introduced: bool, shown_to_tenant: bool) -> Match:
    JobProfileFactory(tenant=world.tenant_a)
    return MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.DECLINED,
        introduced_at=world.tenant_a.created_at if introduced else None,
        decline_reason="skills",
        employer_message="Merci, profil intéressant pour plus tard.",
        reason_visible_to_tenant=shown_to_tenant,
        withdraw_reason="",
    )


def test_the_employer_sees_a_pseudonym_until_the_tenant_is_introduced(world):
    match = _declined(world, introduced=False, shown_to_tenant=False)
    seen = match_as_seen(viewer=world.employer_member.user, match=match)
    assert seen.side == "employer"
    assert not seen.candidate.revealed
    assert (seen.candidate.first_name, seen.candidate.email, seen.candidate.phone) == (None,) * 3
    assert seen.candidate.name is None
    assert seen.candidate.id != str(match.tenant.job_profile.public_id)
    assert not seen.logs_a_view


def test_once_introduced_the_employer_sees_the_contact_and_the_view_is_logged(world):
    match = _declined(world, introduced=True, shown_to_tenant=False)
    user = world.tenant_a.user
    (seen,) = actions.matches_show(viewer=world.employer_member.user, matches=[match])
    assert seen.candidate.revealed
    assert (seen.candidate.email, seen.candidate.phone) == (user.email, user.phone)
    assert seen.candidate.name == f"{user.first_name} {user.last_name}"
    assert (
        RevealedProfileView.objects.filter(
            match=match, viewer=world.employer_member.user, what="profile"
        ).count()
        == 1
    )


def test_the_tenant_reads_the_employers_texts_only_when_shown(world):
    hidden = _declined(world, introduced=True, shown_to_tenant=False)
    seen = match_as_seen(viewer=world.tenant_a.user, match=hidden)
    assert (seen.side, seen.decline_reason, seen.employer_message) == ("tenant", None, None)
    hidden.reason_visible_to_tenant = True
    seen = match_as_seen(viewer=world.tenant_a.user, match=hidden)
    assert seen.decline_reason == "skills" and seen.employer_message.startswith("Merci")


def test_staff_see_everything_and_the_tenants_own_reason_stays_from_the_employer(world):
    match = _declined(world, introduced=False, shown_to_tenant=False)
    match.withdraw_reason = "found_job"
    staff = match_as_seen(viewer=world.staff_a.user, match=match)
    employer = match_as_seen(viewer=world.employer_member.user, match=match)
    assert staff.candidate.revealed and staff.decline_reason == "skills"
    assert staff.candidate.id == str(match.tenant.job_profile.public_id)
    assert staff.withdraw_reason == "found_job" and employer.withdraw_reason is None
    # Nothing is logged for staff, whatever they see.
    actions.matches_show(viewer=world.staff_a.user, matches=[match])
    assert not RevealedProfileView.objects.filter(match=match).exists()
