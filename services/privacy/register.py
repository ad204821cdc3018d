"""The register of processing, as data the tests check against the models.

- `linked_models()`: every model that holds something about a person: a foreign key or
  one-to-one to a user or a tenant, or a required one to a model that belongs to a person
  (a match's transitions, a ledger entry's lots). Optional links (an author, a validator:
  `on_delete=SET_NULL`) make the model linked but do not pass ownership on.
- Each linked model is either exported (a section of `export.SECTIONS`) or in
  `EXPORT_EXCLUDED` with the reason (tests/services/privacy/test_coverage.py).
- `PERSONAL`: the personal fields ("app.Model.field"); each has its line in docs/privacy.md.
  `NOT_PERSONAL`: the text, file and JSON fields of linked models that are not (a code, a
  state, a digest). Every such field of a linked model is in one of the two
  (tests/services/privacy/test_register.py): a new column cannot be added unclassified.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models

# Models exported inside another model's section: {model: the section}.
EXPORTED_WITHIN = {
    "accounts.Tenancy": "tenant (its tenancy: references, holders, dates, residence)",
}

EXPORT_EXCLUDED = {
    "jobs.ProfileRome": "a copy of the profile's wished trades for the candidate search "
    "(exported in job_profile: wished_appellations, experiences)",
    "jobs.ProfileSkill": "a copy of the profile's skills for the candidate search "
    "(exported in job_profile: skills)",
    "loyalty.Consumption": "bookkeeping of which lot a spend drew on; the amounts are in "
    "ledger and points_lots",
    "notifications.Delivery": "the push outbox, one row per notification and device; the "
    "notifications are in inbox, the devices in devices",
    "token_blacklist.BlacklistedToken": "which sessions ended; sessions says it (ended)",
    "admin.LogEntry": "the back-office's log of platform administrators' own actions",
    "accounts.Staff": "a landlord's employee account, not a tenant's: staff do not export",
    "accounts.EmployerMember": "an employer's member account, not a tenant's",
    "accounts.PartnerAccess": "a landlord's grant to an employer member",
    "accounts.EmployerInvitation": "an employer invitation, by and for staff and members",
    "loyalty.PartnerMember": "a loyalty partner's member account, not a tenant's",
    "loyalty.Partner": "a local business; links only to the staff member who created it",
    "jobs.Offer": "a job offer; links only to its author (staff or employer member); the "
    "tenant's matches name the offer's title and company",
    "notifications.Announcement": "a landlord's message; links only to its staff author "
    "(the tenant's copy is in inbox)",
    "privacy.Erasure": "links to nobody erased; only to the staff member who erased",
}

NOT_PERSONAL = {
    # State, codes and digests: nothing said about the person beyond what their row is.
    "accounts.User.password": "a salted hash, never exported",
    "accounts.User.role": "the account's kind",
    "accounts.User.language": "the app's language",
    "accounts.Consent.purpose": "a code",
    "accounts.Consent.version": "the text's version",
    "accounts.PasswordResetCode.code_hash": "a SHA-256 of a code that dies in 30 minutes",
    "accounts.KnownSignInClient.client": "a SHA-256 of the client address",
    "accounts.EmployerInvitation.code_hash": "a SHA-256 of a code",
    "accounts.HouseholdInvitation.code_hash": "a SHA-256 of a code",
    "accounts.Tenancy.activation_code_hash": "a SHA-256 of a code",
    "token_blacklist.OutstandingToken.jti": "a random token id",
    "token_blacklist.OutstandingToken.token": "a signed token naming the account's id",
    "jobs.JobProfile.search_status": "a state",
    "jobs.JobProfile.education_level": "a code",
    "jobs.JobProfile.travel_mode": "a code",
    "jobs.JobConsent.purpose": "a code",
    "jobs.JobConsent.version": "the text's version",
    "jobs.ProfileRome.rome_code": "a trade's code (copy)",
    "jobs.ProfileRome.domain": "a trade's code (copy)",
    "jobs.ProfileSkill.skill": "a skill (copy of the profile's skills)",
    "jobs.Match.state": "a state",
    "jobs.Match.decline_reason": "a code",
    "jobs.MatchTransition.actor_kind": "a role",
    "jobs.MatchTransition.from_state": "a state",
    "jobs.MatchTransition.to_state": "a state",
    "jobs.RevealedProfileView.what": "profile or cv",
    "jobs.Offer.title": "the employer's offer",
    "jobs.Offer.rome_code": "a code",
    "jobs.Offer.description": "the employer's offer",
    "jobs.Offer.contract_type": "a code",
    "jobs.Offer.address": "the workplace",
    "jobs.Offer.postcode": "the workplace",
    "jobs.Offer.city": "the workplace",
    "jobs.Offer.required_skills": "the employer's offer",
    "jobs.Offer.status": "a state",
    "volunteering.Signup.status": "a state",
    "volunteering.Signup.cancel_reason": "a code",
    "volunteering.SignupTransition.from_status": "a state",
    "volunteering.SignupTransition.to_status": "a state",
    "volunteering.SignupTransition.reason": "a code",
    "volunteering.Volunteer.charter_version": "the charter's version",
    "volunteering.Mission.category": "a code",
    "volunteering.Mission.status": "a state",
    "volunteering.Mission.place": "a public meeting place",
    "loyalty.Entry.kind": "a code",
    "loyalty.Entry.reason": "a code",
    "loyalty.Entry.source_type": "a code",
    "loyalty.Entry.source_id": "an object's public id",
    "loyalty.Entry.idempotency_key": "a technical key",
    "loyalty.Redemption.status": "a state",
    "loyalty.Partner.name": "a business",
    "loyalty.Partner.address": "a business",
    "notifications.Notification.kind": "a code",
    "notifications.Notification.category": "a code",
    "notifications.Notification.link_type": "a code",
    "notifications.Notification.link_id": "an object's public id",
    "notifications.Device.kind": "a code",
    "notifications.Device.platform": "a code",
    "notifications.Device.app_version": "the app's version",
    "notifications.Device.locale": "the phone's language",
    "notifications.Device.deactivation_reason": "a code",
    "notifications.Device.last_error": "FCM's error text",
    "notifications.Delivery.status": "a state",
    "notifications.Delivery.message_id": "FCM's message id",
    "notifications.Delivery.error_code": "a code",
    "notifications.Delivery.last_error": "FCM's error text",
    "notifications.EmailDelivery.language": "a code",
    "notifications.EmailDelivery.sender_name": "the landlord's name",
    "notifications.EmailDelivery.status": "a state",
    "notifications.EmailDelivery.error_code": "a code",
    "notifications.EmailDelivery.last_error": "the SMTP server's answer",
    "notifications.Preference.category": "a code",
    "notifications.Preference.channel": "a code",
    "notifications.Announcement.title": "a landlord's message to all tenants",
    "notifications.Announcement.body": "a landlord's message to all tenants",
    "notifications.Announcement.status": "a state",
    "privacy.ExportRequest.status": "a state",
    "privacy.Erasure.origin": "a code",
    "privacy.Erasure.request_reference": "a letter's reference, never a name",
    "admin.LogEntry.object_id": "the back-office's log (administrators)",
    "admin.LogEntry.object_repr": "the back-office's log (administrators)",
    "admin.LogEntry.change_message": "the back-office's log (administrators)",
}

# Personal fields: each has its line in docs/privacy.md's register (the table "Register").
PERSONAL = (
    "accounts.User.email",
    "accounts.User.first_name",
    "accounts.User.last_name",
    "accounts.User.phone",
    "accounts.User.last_login",
    "accounts.Tenancy.holder_names",
    "accounts.Tenancy.tenant_reference",
    "accounts.Tenancy.unit_reference",
    "accounts.HouseholdInvitation.email",
    "accounts.EmployerInvitation.email",
    "accounts.Consent.granted",
    "accounts.KnownSignInClient.last_success_at",
    "token_blacklist.OutstandingToken.created_at",
    "jobs.JobProfile.latitude",
    "jobs.JobProfile.longitude",
    "jobs.JobProfile.wished_appellations",
    "jobs.JobProfile.skills",
    "jobs.JobProfile.experiences",
    "jobs.JobProfile.languages",
    "jobs.JobProfile.available_days",
    "jobs.JobProfile.disability_recognition",
    "jobs.JobProfile.social_benefits",
    "jobs.JobProfile.cv",
    "jobs.JobProfile.cv_name",
    "jobs.JobConsent.granted",
    "jobs.Match.reasons",
    "jobs.Match.employer_message",
    "jobs.Match.interview_place",
    "jobs.Match.interview_answer_message",
    "jobs.Match.withdraw_reason",
    "jobs.MatchTransition.note",
    "jobs.RevealedProfileView.at",
    "volunteering.Signup.checked_in_at",
    "volunteering.Mission.title",
    "volunteering.Mission.description",
    "volunteering.Mission.review_note",
    "loyalty.Entry.note",
    "loyalty.Redemption.code",
    "loyalty.VoucherCode.code",
    "notifications.Notification.title",
    "notifications.Notification.body",
    "notifications.Notification.data",
    "notifications.Device.identifier",
    "notifications.EmailDelivery.to_address",
    "privacy.ExportRequest.file",
)

TEXT_FIELDS = (models.CharField, models.TextField, models.FileField, models.JSONField)


def _person_models() -> tuple[type[models.Model], ...]:
    return (apps.get_model(settings.AUTH_USER_MODEL), apps.get_model("accounts.Tenant"))


def _links(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.get_fields()
        if f.concrete and (f.many_to_one or f.one_to_one) and f.related_model is not None
    ]


def linked_models() -> list[type[models.Model]]:
    """Every model holding something about a person (see the module's docstring), the user
    and tenant models included."""
    people = _person_models()
    owned: set = set(people)
    changed = True
    while changed:  # ownership passes down required links, to any depth
        changed = False
        for model in apps.get_models():
            if model in owned:
                continue
            if any(f.related_model in owned and not f.null for f in _links(model)):
                owned.add(model)
                changed = True
    linked = set(owned)
    for model in apps.get_models():
        if any(f.related_model in people for f in _links(model)):
            linked.add(model)
    return sorted(linked, key=label)


def label(model) -> str:
    return model._meta.label


def text_fields(model) -> list[str]:
    """The fields of a model that can carry words or files: each must be classified."""
    return [
        f"{label(model)}.{f.name}"
        for f in model._meta.get_fields()
        if f.concrete and isinstance(f, TEXT_FIELDS) and not f.choices
    ]
