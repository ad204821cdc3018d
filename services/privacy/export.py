"""What the product holds about one tenant, as one JSON document (RGPD art. 15 and 20).

The format is documented in docs/privacy.md ("The export") and versioned (`version`): each
section is one model's rows that belong to the person, named by `SECTIONS`, with the
person's own data and, for other people, only a company's name or a role ("staff",
"employer", "system"), never their identity. The CV travels inside, base64-encoded, so
the file is complete on its own.

Every model linked to a user or a tenant is either a section here or excluded with a reason
in `register.EXPORT_EXCLUDED`; tests/services/privacy/test_coverage.py fails otherwise.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from services.core import clock

FORMAT = "voisinage.personal-data-export"
VERSION = 1


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _id(obj) -> str | None:
    public_id = getattr(obj, "public_id", None)
    return str(public_id) if public_id is not None else None


def _actor_role(user) -> str:
    """Who did something, without saying who: their role only."""
    if user is None:
        return "system"
    return str(user.role)


def _account(u) -> dict:
    return {
        "id": _id(u),
        "email": u.email,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "phone": u.phone,
        "language": u.language,
        "role": u.role,
        "is_active": u.is_active,
        "date_joined": _iso(u.date_joined),
        "last_login": _iso(u.last_login),
        "updated_at": _iso(u.updated_at),
    }


def _tenant(t) -> dict:
    tenancy, residence = t.tenancy, t.tenancy.residence
    return {
        "id": _id(t),
        "landlord": t.landlord.name,
        "activated_at": _iso(t.created_at),
        # The household: my place in it and how many we are, never the others' names.
        "household": {
            "is_holder": getattr(t, "is_holder", True),
            "members": t.tenancy.tenants.filter(**_current_members()).count(),
            "left_at": _iso(getattr(t, "left_at", None)),
            "keep_job_support": getattr(t, "keep_job_support", False),
            "moved_out_at": _iso(getattr(t, "moved_out_at", None)),
            "closed_at": _iso(getattr(t, "closed_at", None)),
        },
        "tenancy": {
            "id": _id(tenancy),
            "tenant_reference": tenancy.tenant_reference,
            "unit_reference": tenancy.unit_reference,
            "holder_names": tenancy.holder_names,
            "start_date": _iso(tenancy.start_date),
            "end_date": _iso(tenancy.end_date),
            "residence": {
                "name": residence.name,
                "address": residence.address,
                "postcode": residence.postcode,
                "city": residence.city,
            },
        },
    }


def _current_members() -> dict:
    from services.accounts.models import Tenant

    fields = {f.name for f in Tenant._meta.get_fields()}
    return {"left_at__isnull": True} if "left_at" in fields else {}


def _household_invitation(i) -> dict:
    return {
        "id": _id(i),
        "sent_by_email": bool(i.email),  # the invitee's address is theirs, not mine
        "created_at": _iso(i.created_at),
        "expires_at": _iso(i.expires_at),
        "accepted_at": _iso(i.accepted_at),
        "cancelled_at": _iso(getattr(i, "cancelled_at", None)),
    }


def _consent(c) -> dict:
    return {
        "id": _id(c),
        "purpose": c.purpose,
        "granted": c.granted,
        "version": c.version,
        "at": _iso(c.at),
    }


def _reset_code(r) -> dict:
    return {
        "id": _id(r),
        "issued_at": _iso(r.created_at),
        "issued_by": "staff" if r.issued_by_id else "self",
        "expires_at": _iso(r.expires_at),
        "used_at": _iso(r.used_at),
    }


def _sign_in_client(k) -> dict:
    return {"client_digest": k.client, "last_success_at": _iso(k.last_success_at)}


def _session(o) -> dict:
    return {
        "issued_at": _iso(o.created_at),
        "expires_at": _iso(o.expires_at),
        "ended": hasattr(o, "blacklistedtoken"),
    }


def _cv(profile) -> dict | None:
    if not profile.cv:
        return None
    try:
        with profile.cv.open("rb") as handle:
            content = handle.read()
    except OSError:  # the file is gone (storage lost it): say so rather than fail
        content = None
    return {
        "name": profile.cv_name,
        "uploaded_at": _iso(profile.cv_uploaded_at),
        "content_type": "application/pdf",
        "base64": base64.b64encode(content).decode() if content is not None else None,
    }


def _job_profile(p) -> dict:
    from services.jobs.models import contract_list

    return {
        "id": _id(p),
        "search_status": p.search_status,
        "wished_appellations": p.wished_appellations,
        "skills": p.skills,
        "experiences": p.experiences,
        "education_level": p.education_level,
        "languages": p.languages,
        "has_driving_licence": p.has_driving_licence,
        "has_vehicle": p.has_vehicle,
        "travel_mode": p.travel_mode,
        "travel_value": p.travel_value,
        "max_distance_km": p.max_distance_km,
        "available_from": _iso(p.available_from),
        "hours_per_week": p.hours_per_week,
        "available_days": p.available_days,
        "contract_types": contract_list(p.contract_types),
        "disability_recognition": p.disability_recognition,
        "social_benefits": p.social_benefits,
        "matching_consent": p.matching_consent,
        "introduction_consent": p.introduction_consent,
        "location": {"latitude": p.latitude, "longitude": p.longitude, "is_qpv": p.is_qpv},
        "completed_at": _iso(p.completed_at),
        "last_digest_on": _iso(p.last_digest_on),
        "created_at": _iso(p.created_at),
        "cv": _cv(p),
    }


def _match(m) -> dict:
    offer = m.offer
    return {
        "id": _id(m),
        "offer": {
            "id": _id(offer),
            "title": offer.title,
            "company": offer.employer.name,
            "city": offer.city,
            "contract_type": offer.contract_type,
        },
        "state": m.state,
        "state_changed_at": _iso(m.state_changed_at),
        "score": m.score,
        "reasons": m.reasons,
        "introduced_at": _iso(m.introduced_at),
        "proposed_at": _iso(m.proposed_at),
        "answered_at": _iso(m.answered_at),
        "decline_reason": m.decline_reason,
        # The employer's words reach the tenant only when shown to them in the app.
        "employer_message": m.employer_message if m.reason_visible_to_tenant else "",
        "interview_at": _iso(m.interview_at),
        "interview_place": m.interview_place,
        "interview_answer": getattr(m, "interview_answer", ""),
        "interview_answer_message": getattr(m, "interview_answer_message", ""),
        "interview_answered_at": _iso(getattr(m, "interview_answered_at", None)),
        "hire_start_date": _iso(m.hire_start_date),
        "withdraw_reason": m.withdraw_reason,
        "created_at": _iso(m.created_at),
    }


def _match_transition(t) -> dict:
    return {
        "id": _id(t),
        "match": _id(t.match),
        "by": t.actor_kind,
        "from_state": t.from_state,
        "to_state": t.to_state,
        "at": _iso(t.at),
        # Notes are the tenant's own, or the system's; staff's and employers' notes are
        # their working notes and may name them.
        "note": t.note if t.actor_kind in ("tenant", "system") else "",
    }


def _profile_view(v) -> dict:
    member = getattr(v.viewer, "employer_member", None) if v.viewer else None
    company = member.employer.name if member is not None else v.match.offer.employer.name
    return {"match": _id(v.match), "company": company, "what": v.what, "at": _iso(v.at)}


def _volunteer(v) -> dict:
    return {
        "charter_version": v.charter_version,
        "charter_accepted_at": _iso(v.charter_accepted_at),
    }


def _signup(s) -> dict:
    slot, mission = s.slot, s.slot.mission
    return {
        "id": _id(s),
        "mission": {"id": _id(mission), "title": mission.title, "place": mission.place},
        "slot": {"id": _id(slot), "starts_at": _iso(slot.starts_at), "ends_at": _iso(slot.ends_at)},
        "status": s.status,
        "waitlist_ticket": s.waitlist_ticket,
        "offered_at": _iso(s.offered_at),
        "offer_expires_at": _iso(s.offer_expires_at),
        "confirmed_at": _iso(s.confirmed_at),
        "cancelled_at": _iso(s.cancelled_at),
        "cancel_reason": s.cancel_reason,
        "checked_in_at": _iso(s.checked_in_at),
        "attendance_marked_at": _iso(s.attendance_marked_at),
        "created_at": _iso(s.created_at),
    }


def _signup_transition(t) -> dict:
    return {
        "signup": _id(t.signup),
        "from_status": t.from_status,
        "to_status": t.to_status,
        "by": "self" if t.actor_id == t.signup.tenant.user_id else _actor_role(t.actor),
        "reason": t.reason,
        "at": _iso(t.at),
    }


def _mission(m) -> dict:
    return {
        "id": _id(m),
        "title": m.title,
        "description": m.description,
        "category": m.category,
        "place": m.place,
        "status": m.status,
        "review_note": m.review_note,
        "reviewed_at": _iso(m.reviewed_at),
        "created_at": _iso(m.created_at),
    }


def _loyalty_account(a) -> dict:
    return {"id": _id(a), "balance": a.balance, "debt": a.debt, "opened_at": _iso(a.created_at)}


def _entry(e) -> dict:
    return {
        "id": _id(e),
        "kind": e.kind,
        "points": e.points,
        "reason": e.reason,
        "note": e.note,
        "by": _actor_role(e.issuer),
        "source_type": e.source_type,
        "source_id": e.source_id,
        "reverses": _id(e.reverses) if e.reverses_id else None,
        "at": _iso(e.created_at),
    }


def _lot(lot) -> dict:
    return {
        "entry": _id(lot.entry),
        "points": lot.points,
        "remaining": lot.remaining,
        "expires_at": _iso(lot.expires_at),
        "warned_at": _iso(lot.warned_at),
    }


def _redemption(r) -> dict:
    return {
        "id": _id(r),
        "reward": {"id": _id(r.reward), "title": r.reward.title, "partner": r.reward.partner_name},
        "status": r.status,
        "points": r.points,
        "code": r.code,
        "expires_at": _iso(r.expires_at),
        "used_at": _iso(r.used_at),
        "cancelled_at": _iso(r.cancelled_at),
        "created_at": _iso(r.created_at),
    }


def _device(d) -> dict:
    return {
        "id": _id(d),
        "kind": d.kind,
        # The end of the push identifier only: enough to recognise it, useless to send.
        "identifier_end": d.identifier[-8:],
        "platform": d.platform,
        "app_version": d.app_version,
        "locale": d.locale,
        "last_seen_at": _iso(d.last_seen_at),
        "is_active": d.is_active,
        "deactivated_at": _iso(d.deactivated_at),
        "deactivation_reason": d.deactivation_reason,
        "registered_at": _iso(d.created_at),
    }


def _notification(n) -> dict:
    return {
        "id": _id(n),
        "kind": n.kind,
        "category": n.category,
        "title": n.title,
        "body": n.body,
        "link_type": n.link_type,
        "link_id": n.link_id,
        "in_inbox": n.in_inbox,
        "read_at": _iso(n.read_at),
        "at": _iso(n.created_at),
    }


def _email(e) -> dict:
    return {
        "notification": _id(e.notification),
        "to_address": e.to_address,
        "status": e.status,
        "sent_at": _iso(e.sent_at),
        "at": _iso(e.created_at),
    }


def _preference(p) -> dict:
    return {"category": p.category, "channel": p.channel, "enabled": p.enabled}


def _export_request(x) -> dict:
    return {
        "id": _id(x),
        "status": x.status,
        "asked_at": _iso(x.created_at),
        "ready_at": _iso(x.ready_at),
        "expires_at": _iso(x.expires_at),
    }


def _warning(w) -> dict:
    return {"warned_at": _iso(w.warned_at), "inactive_since": _iso(w.last_activity_at)}


@dataclass(frozen=True)
class Section:
    key: str
    model: str  # "app_label.ModelName"
    owner: str  # the lookup from the model to the user's id
    render: Callable[[Any], dict]
    many: bool = True
    related: tuple[str, ...] = ()

    @property
    def installed(self) -> bool:
        try:
            apps.get_model(self.model)
        except LookupError:
            return False
        return True

    def queryset(self, user_id: int) -> QuerySet:
        model = apps.get_model(self.model)
        rows = model.objects.filter(**{self.owner: user_id})
        return rows.select_related(*self.related) if self.related else rows


SECTIONS: tuple[Section, ...] = (
    Section("account", "accounts.User", "id", _account, many=False),
    Section(
        "tenant",
        "accounts.Tenant",
        "user_id",
        _tenant,
        many=False,
        related=("landlord", "tenancy__residence"),
    ),
    Section(
        "household_invitations",
        "accounts.HouseholdInvitation",
        "invited_by__user_id",
        _household_invitation,
    ),
    Section("consents", "accounts.Consent", "user_id", _consent),
    Section("password_reset_codes", "accounts.PasswordResetCode", "user_id", _reset_code),
    Section("sign_in_clients", "accounts.KnownSignInClient", "user_id", _sign_in_client),
    Section(
        "sessions",
        "token_blacklist.OutstandingToken",
        "user_id",
        _session,
        related=("blacklistedtoken",),
    ),
    Section("job_profile", "jobs.JobProfile", "tenant__user_id", _job_profile, many=False),
    Section("job_consents", "jobs.JobConsent", "profile__tenant__user_id", _consent),
    Section("matches", "jobs.Match", "tenant__user_id", _match, related=("offer__employer",)),
    Section(
        "match_history",
        "jobs.MatchTransition",
        "match__tenant__user_id",
        _match_transition,
        related=("match",),
    ),
    Section(
        "profile_views",
        "jobs.RevealedProfileView",
        "match__tenant__user_id",
        _profile_view,
        related=("match__offer__employer", "viewer__employer_member__employer"),
    ),
    Section("volunteer", "volunteering.Volunteer", "tenant__user_id", _volunteer, many=False),
    Section(
        "signups",
        "volunteering.Signup",
        "tenant__user_id",
        _signup,
        related=("slot__mission",),
    ),
    Section(
        "signup_history",
        "volunteering.SignupTransition",
        "signup__tenant__user_id",
        _signup_transition,
        related=("signup__tenant", "actor"),
    ),
    Section("proposed_missions", "volunteering.Mission", "proposed_by__user_id", _mission),
    Section("loyalty_account", "loyalty.Account", "tenant__user_id", _loyalty_account, many=False),
    Section(
        "ledger",
        "loyalty.Entry",
        "account__tenant__user_id",
        _entry,
        related=("issuer", "reverses"),
    ),
    Section("points_lots", "loyalty.Lot", "account__tenant__user_id", _lot, related=("entry",)),
    Section(
        "redemptions", "loyalty.Redemption", "tenant__user_id", _redemption, related=("reward",)
    ),
    Section("devices", "notifications.Device", "user_id", _device),
    Section("inbox", "notifications.Notification", "recipient_id", _notification),
    Section(
        "emails",
        "notifications.EmailDelivery",
        "notification__recipient_id",
        _email,
        related=("notification",),
    ),
    Section("notification_preferences", "notifications.Preference", "user_id", _preference),
    Section("exports", "privacy.ExportRequest", "user_id", _export_request),
    Section("retention_warning", "privacy.InactivityWarning", "user_id", _warning, many=False),
)


def export_row_count(*, user) -> int:
    """How many rows an export of `user` holds (one COUNT per section)."""
    return sum(section.queryset(user.pk).count() for section in SECTIONS if section.installed)


def export_build(*, user) -> dict:
    """The whole export of `user` as a JSON-ready dict (see the module's docstring)."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _iso(clock.now()),
    }
    for section in SECTIONS:
        if not section.installed:
            continue
        rows = [section.render(obj) for obj in section.queryset(user.pk).order_by("pk")]
        document[section.key] = rows if section.many else (rows[0] if rows else None)
    return document
