"""Reads, always scoped to who asks: another landlord's rows are simply not there."""

from django.db.models import QuerySet

from .models import Employer, Landlord, Residence, Tenancy, User


def landlord_of(user: User) -> Landlord | None:
    """The landlord a tenant or staff member belongs to (employers may have several)."""
    if getattr(user, "role", None) == User.Role.TENANT and hasattr(user, "tenant"):
        return user.tenant.landlord
    if getattr(user, "role", None) == User.Role.STAFF and hasattr(user, "staff"):
        return user.staff.landlord
    return None


def residence_list_for_user(*, user: User) -> QuerySet[Residence]:
    qs = Residence.objects.select_related("landlord").order_by("name", "id")
    if getattr(user, "role", None) == User.Role.TENANT and hasattr(user, "tenant"):
        return qs.filter(pk=user.tenant.tenancy.residence_id)
    if getattr(user, "role", None) == User.Role.STAFF and hasattr(user, "staff"):
        return qs.filter(landlord_id=user.staff.landlord_id)
    return qs.none()


def tenancy_list_for_user(*, user: User) -> QuerySet[Tenancy]:
    if getattr(user, "role", None) == User.Role.STAFF and hasattr(user, "staff"):
        return (
            Tenancy.objects.filter(landlord_id=user.staff.landlord_id)
            .select_related("residence", "landlord")
            .order_by("-created_at", "-id")
        )
    return Tenancy.objects.none()


def employer_list_for_user(*, user: User) -> QuerySet[Employer]:
    qs = Employer.objects.order_by("name", "id")
    if getattr(user, "role", None) == User.Role.STAFF and hasattr(user, "staff"):
        return qs.filter(landlords=user.staff.landlord_id)
    if getattr(user, "role", None) == User.Role.EMPLOYER and hasattr(user, "employer_member"):
        return qs.filter(pk=user.employer_member.employer_id)
    return qs.none()


def user_profile(*, user: User) -> User:
    return User.objects.select_related(
        "tenant__landlord",
        "tenant__tenancy__residence",
        "staff__landlord",
        "employer_member__employer",
    ).get(pk=user.pk)
