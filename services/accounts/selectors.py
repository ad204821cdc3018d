"""Reads, always scoped to who asks: another landlord's rows are simply not there."""

from django.db.models import Exists, OuterRef, QuerySet

from . import policies, roles
from .models import Employer, EmployerMember, PartnerAccess, Residence, Tenancy, User


def residence_list_for_user(*, user: User) -> QuerySet[Residence]:
    qs = Residence.objects.select_related("landlord").order_by("name", "id")
    if tenant := roles.tenant_of(user):
        return qs.filter(pk=tenant.tenancy.residence_id)
    if staff := roles.staff_of(user):
        return qs.filter(landlord_id=staff.landlord_id)
    return qs.none()


def tenancy_list_for_user(*, user: User) -> QuerySet[Tenancy]:
    if staff := roles.staff_of(user):
        return (
            Tenancy.objects.filter(landlord_id=staff.landlord_id)
            .select_related("residence", "landlord")
            .order_by("-created_at", "-id")
        )
    return Tenancy.objects.none()


def employer_list_for_user(*, user: User) -> QuerySet[Employer]:
    qs = Employer.objects.order_by("name", "id")
    if staff := roles.staff_of(user):
        return qs.filter(landlords=staff.landlord_id)
    if member := roles.member_of(user):
        return qs.filter(pk=member.employer_id)
    return qs.none()


def partner_landlord_ids(*, user: User) -> frozenset[int]:
    """The landlords whose candidates and matches this employer member may reach: those that
    granted it their partnership (their staff invited or approved it) and are still partners
    of its company. Kept on the user object for the request (lists ask it once per row)."""
    cached = getattr(user, "_partner_landlord_ids", None)
    if cached is not None:
        return cached
    ids: frozenset[int] = frozenset()
    if member := roles.member_of(user):
        partners = Employer.landlords.through.objects.filter(employer_id=member.employer_id)
        ids = frozenset(
            PartnerAccess.objects.filter(
                member_id=member.pk, landlord_id__in=partners.values("landlord_id")
            ).values_list("landlord_id", flat=True)
        )
    user._partner_landlord_ids = ids
    return ids


def employer_member_list_for_user(*, user: User, employer: Employer) -> QuerySet[EmployerMember]:
    """The employer's members, for the staff who manage a partner landlord's employers (they
    approve members); `has_access`: their landlord granted that member its partnership."""
    if not policies.can_manage_employers(actor=user):
        return EmployerMember.objects.none()
    landlord_id = user.staff.landlord_id
    if not employer.landlords.filter(pk=landlord_id).exists():
        return EmployerMember.objects.none()
    granted = PartnerAccess.objects.filter(member=OuterRef("pk"), landlord_id=landlord_id)
    return (
        EmployerMember.objects.filter(employer=employer)
        .select_related("user")
        .annotate(has_access=Exists(granted))
        .order_by("created_at", "id")
    )


def user_profile(*, user: User) -> User:
    return User.objects.select_related(
        "tenant__landlord",
        "tenant__tenancy__residence",
        "staff__landlord",
        "employer_member__employer",
    ).get(pk=user.pk)


def tenancy_search_for_user(*, user: User, q: str = "") -> QuerySet[Tenancy]:
    """The staff's tenancies whose reference, unit, holders or residence contain `q`."""
    from django.db.models import Q  # kept local: this module's imports are being edited

    qs = tenancy_list_for_user(user=user)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(tenant_reference__icontains=q)
            | Q(unit_reference__icontains=q)
            | Q(holder_names__icontains=q)
            | Q(residence__name__icontains=q)
        )
    return qs
