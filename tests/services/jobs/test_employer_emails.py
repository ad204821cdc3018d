"""The e-mails an employer's members get (issue 13): a new proposal (at most one e-mail a
day, the others in the next morning's digest), reminders, the interview confirmation with
its .ics, the expiry notices; none names the tenant."""

import datetime
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from notifications import registry
from notifications.models import EmailDelivery, Notification
from services.jobs import actions as jobs
from services.jobs import digest, interview_answers, tasks
from services.jobs.models import JobProfile, Match
from tests.factories import (
    EmployerFactory,
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenantFactory,
)
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.notifications.test_email_smtp import smtp  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

# A Monday, 09:00 in Paris.
DAY = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=datetime.UTC)
# Jobs kinds e-mailed to landlord staff, not to employer members.
STAFF_EMAIL_KINDS = {"jobs.proposal_unreachable"}
IDENTITY = ("Zoé", "Tenantissime", "zoe.tenantissime", "0612345678", "06 12 34 56 78")


@dataclass
class World:
    landlord: object
    staff: object
    employer: object
    member: object
    tenants: list


@pytest.fixture
def world():
    landlord = LandlordFactory(name="Habitat Atlantique")
    employer = EmployerFactory(name="Boulangerie Dupain", landlords=[landlord])
    member = EmployerMemberFactory(
        employer=employer, user__email="patron@dupain.example", user__language="fr"
    ).user
    tenants = []
    for index in range(3):
        tenant = TenantFactory(
            residence=ResidenceFactory(landlord=landlord),
            user__first_name="Zoé",
            user__last_name="Tenantissime",
            user__email=f"zoe.tenantissime{index}@example.org",
            user__phone="06 12 34 56 78",
        )
        JobProfileFactory(tenant=tenant)
        tenants.append(tenant)
    return World(landlord, StaffFactory(landlord=landlord).user, employer, member, tenants)


def _interested(world, index: int, title: str) -> Match:
    offer = OfferFactory(employer=world.employer, title=title, targets=[world.landlord])
    return MatchFactory(tenant=world.tenants[index], offer=offer, state=Match.State.INTERESTED)


def _propose(world, match, capture):
    with capture(execute=True):
        jobs.match_propose(user=world.staff, match=match)


def _kind(message) -> str:
    return Notification.objects.get(
        public_id=message.extra_headers["X-Voisinage-Notification"]
    ).kind


def _sent_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


# --------------------------------------------------------------------------- the digest


def test_one_proposal_email_a_day_the_others_in_the_next_mornings_digest(
    world, django_capture_on_commit_callbacks
):
    first = _interested(world, 0, "Vendeur en boulangerie")
    second = _interested(world, 1, "Boulanger")
    third = _interested(world, 2, "Pâtissier")
    with time_machine.travel(DAY, tick=False):
        _propose(world, first, django_capture_on_commit_callbacks)
    with time_machine.travel(DAY + datetime.timedelta(hours=2), tick=False):
        _propose(world, second, django_capture_on_commit_callbacks)
    with time_machine.travel(DAY + datetime.timedelta(hours=8), tick=False):
        _propose(world, third, django_capture_on_commit_callbacks)

    # The first at once, the later ones in the inbox only.
    assert [_kind(m) for m in _sent_to(world.member)] == ["jobs.match_proposed"]
    assert str(first.public_id) in mail.outbox[0].body
    later = Notification.objects.filter(recipient=world.member, kind="jobs.match_proposed_later")
    assert sorted(later.values_list("link_id", flat=True)) == sorted(
        [str(second.public_id), str(third.public_id)]
    )
    assert "Boulanger" in later.get(link_id=str(second.public_id)).title

    # The next morning: one e-mail for the two, to the list of candidates.
    mail.outbox.clear()
    with (
        time_machine.travel(DAY + datetime.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.proposals_digest_send() == {"digests": 1}
        assert tasks.proposals_digest_send() == {"digests": 0}  # run twice: one digest
    [message] = mail.outbox
    assert _kind(message) == "jobs.proposals_digest"
    assert message.to == [world.member.email]
    assert "(2)" in message.subject and "Habitat Atlantique" in message.subject
    assert "Boulanger, Pâtissier" in message.body
    assert "2 novembre 2026" in message.body  # the day, in the member's language
    assert "Vendeur en boulangerie" not in message.body  # already e-mailed at once
    assert "next=%2Fespace%2F" in message.body and "/espace/lien/?sesame=" in message.body

    # A new day: its first proposal is e-mailed at once again.
    fourth = MatchFactory(
        tenant=TenantFactory(residence=ResidenceFactory(landlord=world.landlord)),
        offer=first.offer,
        state=Match.State.INTERESTED,
    )
    JobProfileFactory(tenant=fourth.tenant)
    mail.outbox.clear()
    with time_machine.travel(DAY + datetime.timedelta(days=1, hours=2), tick=False):
        _propose(world, fourth, django_capture_on_commit_callbacks)
    assert [_kind(m) for m in mail.outbox] == ["jobs.match_proposed"]


def test_the_digest_leaves_out_what_was_answered_and_sends_nothing_when_all_was(
    world, django_capture_on_commit_callbacks
):
    first = _interested(world, 0, "Vendeur en boulangerie")
    second = _interested(world, 1, "Boulanger")
    third = _interested(world, 2, "Pâtissier")
    with time_machine.travel(DAY, tick=False):
        for match in (first, second, third):
            _propose(world, match, django_capture_on_commit_callbacks)
        jobs.match_answer(user=world.member, match=second, decision="interested")
    mail.outbox.clear()
    with (
        time_machine.travel(DAY + datetime.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.proposals_digest_send()
    [message] = mail.outbox
    assert "Pâtissier" in message.body and "Boulanger," not in message.body
    assert "(1)" in message.subject

    # Everything answered before the morning: no digest at all.
    Notification.objects.filter(kind="jobs.proposals_digest").delete()
    jobs.match_answer(user=world.member, match=third, decision="postponed")
    mail.outbox.clear()
    with time_machine.travel(DAY + datetime.timedelta(days=1), tick=False):
        assert tasks.proposals_digest_send() == {"digests": 0}
    assert mail.outbox == []


def test_each_member_has_their_own_first_email_of_the_day(
    world, django_capture_on_commit_callbacks
):
    other_landlord = LandlordFactory(name="Grand Lyon Habitat")
    world.employer.landlords.add(other_landlord)
    colleague = EmployerMemberFactory(
        employer=world.employer, grants=[other_landlord], user__email="vendeuse@dupain.example"
    ).user
    first = _interested(world, 0, "Vendeur en boulangerie")
    tenant_b = TenantFactory(residence=ResidenceFactory(landlord=other_landlord))
    JobProfileFactory(tenant=tenant_b)
    offer_b = OfferFactory(employer=world.employer, title="Boulanger", targets=[other_landlord])
    second = MatchFactory(tenant=tenant_b, offer=offer_b, state=Match.State.INTERESTED)
    with time_machine.travel(DAY, tick=False):
        _propose(world, first, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            jobs.match_propose(user=StaffFactory(landlord=other_landlord).user, match=second)
    # The colleague (landlord B's only) had no proposal yet today: e-mailed at once.
    assert [_kind(m) for m in _sent_to(world.member)] == ["jobs.match_proposed"]
    assert [_kind(m) for m in _sent_to(colleague)] == ["jobs.match_proposed"]


def test_the_digest_follows_the_members_current_access(world, django_capture_on_commit_callbacks):
    first = _interested(world, 0, "Vendeur en boulangerie")
    second = _interested(world, 1, "Boulanger")
    with time_machine.travel(DAY, tick=False):
        _propose(world, first, django_capture_on_commit_callbacks)
        _propose(world, second, django_capture_on_commit_callbacks)
    world.member.employer_member.accesses.all().delete()
    mail.outbox.clear()
    with time_machine.travel(DAY + datetime.timedelta(days=1), tick=False):
        assert digest.proposals_digest_send() == {"digests": 0}
    assert mail.outbox == []


# --------------------------------------------------------------------------- interviews


def _to_interview(world, capture, *, member=None):
    match = _interested(world, 0, "Vendeur en boulangerie")
    with time_machine.travel(DAY, tick=False):
        _propose(world, match, capture)
        jobs.match_answer(user=world.member, match=match, decision="interested")
        mail.outbox.clear()
        with capture(execute=True):
            jobs.match_move(
                user=member or world.member,
                match=match,
                to=Match.State.INTERVIEW,
                expected_state=Match.State.EMPLOYER_INTERESTED,
                data={
                    "interview_at": DAY + datetime.timedelta(days=3, hours=6),
                    "interview_place": "12 rue du Four, La Rochelle",
                },
            )
    return match


def _event(content):
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return event


def test_the_members_get_the_interview_confirmation_with_the_ics(
    world, django_capture_on_commit_callbacks
):
    colleague = EmployerMemberFactory(
        employer=world.employer, user__email="colleague@dupain.example", user__language="en"
    ).user
    match = _to_interview(world, django_capture_on_commit_callbacks)

    # The tenant still hears of it in the app, with the API's .ics link.
    told = Notification.objects.get(recipient=world.tenants[0].user, kind="jobs.interview")
    assert told.data["ics"].endswith("/interview.ics/")
    by_member = {m.to[0]: m for m in mail.outbox}
    assert set(by_member) == {world.member.email, colleague.email}
    french = by_member[world.member.email]
    assert _kind(french) == "jobs.interview_planned"
    assert "Entretien prévu" in french.subject
    assert "5 novembre 2026" in french.body and "12 rue du Four" in french.body
    [(filename, content, mimetype)] = french.attachments
    assert (filename, mimetype) == ("entretien.ics", "text/calendar")
    event = _event(content)
    assert event.decoded("dtstart") == DAY + datetime.timedelta(days=3, hours=6)
    assert str(event["location"]) == "12 rue du Four, La Rochelle"
    assert str(event["uid"]) == f"interview-{match.public_id}@voisinage"
    assert "Habitat Atlantique" in str(event["description"])
    english = by_member[colleague.email]
    assert "Interview planned" in english.subject
    assert english.attachments[0][0] == "interview.ics"
    assert "Interview: Vendeur en boulangerie" in str(_event(english.attachments[0][1])["summary"])


def test_staff_planning_the_interview_also_confirms_it_to_the_members(
    world, django_capture_on_commit_callbacks
):
    _to_interview(world, django_capture_on_commit_callbacks, member=world.staff)
    assert [_kind(m) for m in _sent_to(world.member)] == ["jobs.interview_planned"]


def test_an_interview_email_sent_after_the_match_moved_on_carries_no_event(
    world, django_capture_on_commit_callbacks
):
    match = _interested(world, 0, "Vendeur en boulangerie")
    with time_machine.travel(DAY, tick=False):
        _propose(world, match, django_capture_on_commit_callbacks)
        jobs.match_answer(user=world.member, match=match, decision="interested")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            jobs.match_move(
                user=world.member,
                match=match,
                to=Match.State.INTERVIEW,
                expected_state=None,
                data={"interview_at": DAY + datetime.timedelta(days=1), "interview_place": "Ici"},
            )
        Match.objects.filter(pk=match.pk).update(state=Match.State.WITHDRAWN)
        for callback in callbacks:
            callback()
    [message] = _sent_to(world.member)
    assert message.attachments == []


def test_the_ics_travels_through_smtp(
    world,
    smtp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _to_interview(world, django_capture_on_commit_callbacks)
    interview = EmailDelivery.objects.get(notification__kind="jobs.interview_planned")
    assert interview.status == EmailDelivery.Status.SENT
    received = [message_from_bytes(raw, policy=default) for raw in smtp.received]
    [message] = [m for m in received if "Entretien" in m["Subject"]]
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.iter_parts()
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "entretien.ics"
    event = _event(attachment.get_content())
    assert str(event["location"]) == "12 rue du Four, La Rochelle"


# --------------------------------------------------------------------------- expiry


def test_an_offer_about_to_close_is_emailed_to_its_members(
    world, django_capture_on_commit_callbacks
):
    with time_machine.travel(DAY - datetime.timedelta(days=83), tick=False):
        offer = OfferFactory(
            employer=world.employer, title="Vendeur en boulangerie", targets=[world.landlord]
        )
    with time_machine.travel(DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert jobs.offers_expire_and_warn()["warned"] == 1
    [message] = _sent_to(world.member)
    assert _kind(message) == "jobs.offer_expiring"
    assert "Vendeur en boulangerie" in message.subject and "Habitat Atlantique" in message.subject
    assert "next=%2Fespace%2Foffres%2F" in message.body
    assert offer.title in message.body


# --------------------------------------------------------------------------- no identity


def _everything(message) -> str:
    parts = [message.subject, message.body, *(alt[0] for alt in message.alternatives)]
    parts += [f"{k}: {v}" for k, v in message.extra_headers.items()]
    for _name, content, _type in message.attachments:
        parts.append(content if isinstance(content, str) else content.decode())
        event = _event(content)
        parts += [str(event.get(key, "")) for key in ("summary", "description", "location")]
    return "\n".join(parts)


def test_no_employer_email_names_a_tenant_who_did_not_agree_to_be_introduced(
    world, django_capture_on_commit_callbacks
):
    """Every kind that e-mails employer members, rendered for tenants who withdrew their
    agreement to be introduced after the proposal: none carries a name, an address or a
    phone number. A new employer e-mail kind fails here until it is covered."""
    proposed = [_interested(world, i, t) for i, t in ((0, "Vendeur"), (1, "Boulanger"))]
    interview = _interested(world, 2, "Pâtissier")
    with time_machine.travel(DAY - datetime.timedelta(days=83), tick=False):
        OfferFactory(employer=world.employer, title="Livreur", targets=[world.landlord])
    with (
        time_machine.travel(DAY, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        for match in [*proposed, interview]:
            jobs.match_propose(user=world.staff, match=match)
        jobs.match_answer(user=world.member, match=interview, decision="interested")
        jobs.match_move(
            user=world.member,
            match=interview,
            to=Match.State.INTERVIEW,
            expected_state=None,
            data={"interview_at": DAY + datetime.timedelta(days=2), "interview_place": "Four"},
        )
        jobs.offers_expire_and_warn()
    JobProfile.objects.update(introduction_consent=False)  # before anything is sent
    with time_machine.travel(DAY, tick=False):
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            interview_answers.match_interview_answer(
                user=world.tenants[2].user,
                match=interview,
                answer="another_time",
                message="Zoé Tenantissime, 06 12 34 56 78, zoe.tenantissime2@example.org",
            )
    for days in (1, 7, 14, 21):
        with (
            time_machine.travel(DAY + datetime.timedelta(days=days), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.proposals_digest_send()
            tasks.proposals_expire_and_remind()

    employer_kinds = {
        kind.code
        for kind in registry.all_kinds()
        if kind.code.startswith("jobs.") and "email" in kind.channels
    } - STAFF_EMAIL_KINDS
    sent = _sent_to(world.member)
    assert {_kind(m) for m in sent} == employer_kinds
    tenant_users = [tenant.user for tenant in world.tenants]
    for message in sent:
        text = _everything(message)
        for identity in IDENTITY:
            assert identity not in text, (_kind(message), identity)
        for user in tenant_users:
            assert user.email not in text and str(user.public_id) not in text
