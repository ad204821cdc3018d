"""A tenant with a row in every model the product keeps about a person (the export and the
erasure tests' subject), and the words that identify them."""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.models import Delivery, EmailDelivery, Preference
from services.accounts import consents
from services.accounts.models import KnownSignInClient, PasswordResetCode
from services.accounts.tokens import refresh_for
from services.core import clock
from services.jobs import actions as job_actions
from services.jobs.models import JobConsent, MatchTransition, RevealedProfileView
from services.loyalty import actions as loyalty_actions
from services.privacy.models import ExportRequest, InactivityWarning
from services.volunteering.models import Mission, SignupTransition, Volunteer
from tests.factories import EmployerFactory, EmployerMemberFactory, StaffFactory, TenantFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.factories.loyalty import RewardFactory, give_points
from tests.factories.notifications import DeviceFactory, NotificationFactory
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

CV_TEXT = "Zéphyrine Quaglia-Bertrand, agent de propreté, 12 ans d'expérience"


@dataclass
class Person:
    tenant: object
    name: tuple[str, str]
    email: str
    phone: str
    cv_text: str

    def words(self) -> list[str]:
        """What must not survive an erasure anywhere in the database."""
        return [*self.name, self.email, self.phone, self.cv_text]


def cv_upload(tenant, text: str) -> None:
    pdf = b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"
    job_actions.cv_upload(
        tenant=tenant, upload=SimpleUploadedFile("cv.pdf", pdf, content_type="application/pdf")
    )


def rich_tenant(
    residence, *, first: str, last: str, email: str, phone: str, cv_text: str = CV_TEXT
) -> Person:
    tenant = TenantFactory(
        residence=residence,
        user__first_name=first,
        user__last_name=last,
        user__email=email,
        user__phone=phone,
        tenancy__holder_names=f"{first} {last}",
    )
    user, landlord, now = tenant.user, tenant.landlord, clock.now()

    # Account: consents, a reset code, a known client, two sessions (one ended).
    consents.consent_set(user=user, purpose="push_marketing", granted=True)
    PasswordResetCode.objects.create(
        user=user, code_hash=f"{user.pk:064d}", expires_at=now + datetime.timedelta(minutes=30)
    )
    KnownSignInClient.objects.create(user=user, client="c" * 64, last_success_at=now)
    refresh_for(user)
    refresh_for(user).blacklist()

    # The household: an adult invited (when households exist).
    try:
        invitation = apps.get_model("accounts", "HouseholdInvitation")
    except LookupError:
        pass
    else:
        invitation.objects.create(
            tenancy=tenant.tenancy,
            invited_by=tenant,
            email="",
            code_hash=f"h{user.pk:063d}",
            expires_at=now + datetime.timedelta(days=7),
        )

    # Jobs: a profile with a CV, consents, a match with its history and a view of it.
    profile = JobProfileFactory(tenant=tenant, skills=["Nettoyage"])
    cv_upload(tenant, cv_text)
    JobConsent.objects.create(
        profile=profile, purpose="matching", granted=True, version="2026-01", at=now
    )
    employer = EmployerFactory(landlords=[landlord])
    member = EmployerMemberFactory(employer=employer)
    match = MatchFactory(
        tenant=tenant,
        offer=OfferFactory(employer=employer),
        state="interview",
        interview_place=f"Chez {first} {last}",
        employer_message=f"Bonjour {first}",
    )
    MatchTransition.objects.create(
        match=match,
        actor=user,
        actor_kind="tenant",
        from_state="suggested",
        to_state="interested",
        at=now,
        note=f"{first} est disponible",
    )
    RevealedProfileView.objects.create(match=match, viewer=member.user, what="cv", at=now)

    # Volunteering: a sign-up with its history, the charter, a proposed mission.
    mission = MissionFactory(landlord=landlord, residence=residence)
    signup = SignupFactory(slot=SlotFactory(mission=mission), tenant=tenant)
    SignupTransition.objects.create(
        signup=signup, from_status="", to_status="confirmed", actor=user, at=now
    )
    Volunteer.objects.create(tenant=tenant, charter_version="2026-01", charter_accepted_at=now)
    MissionFactory(
        landlord=landlord,
        residence=residence,
        status=Mission.Status.PROPOSED,
        proposed_by=tenant,
        title=f"Atelier vélo de {first}",
    )

    # Loyalty: points (with a staff note naming them) and an unused voucher.
    give_points(tenant, 300)
    staff = StaffFactory(landlord=landlord)
    loyalty_actions.points_grant(
        actor=staff.user, tenant=tenant, points=20, reason=f"Merci {first} {last}"
    )
    loyalty_actions.reward_redeem(tenant=tenant, reward=RewardFactory(landlord=landlord))

    # Notifications: a device, an inbox row with its push and e-mail, a preference.
    device = DeviceFactory(user=user)
    notification = NotificationFactory(recipient=user, title=f"Bonjour {first}")
    Delivery.objects.create(
        notification=notification,
        device=device,
        next_attempt_at=now,
        expires_at=now + datetime.timedelta(days=1),
    )
    EmailDelivery.objects.create(
        notification=notification,
        to_address=user.email,
        next_attempt_at=now,
        expires_at=now + datetime.timedelta(days=1),
    )
    Preference.objects.create(user=user, category="jobs", channel="email", enabled=False)

    # Privacy itself: an export asked for, a warning sent.
    ExportRequest.objects.create(user=user, status=ExportRequest.Status.EXPIRED)
    InactivityWarning.objects.create(user=user, warned_at=now, last_activity_at=now)
    return Person(tenant=tenant, name=(first, last), email=email, phone=phone, cv_text=cv_text)
