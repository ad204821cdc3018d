"""The accounts demo: believable, isolated per landlord, and the same on every run."""

import io
import re
from decimal import Decimal

import pytest
import time_machine

from demo import accounts as demo
from services.accounts import actions, codes
from services.accounts.models import (
    Employer,
    EmployerMember,
    Landlord,
    Residence,
    Staff,
    Tenancy,
    Tenant,
    User,
    siret_is_valid,
)
from services.core.admin import LANDLORD_STAFF_GROUP

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


class _Out(io.StringIO):
    def write(self, text: str) -> int:
        return super().write(text + "\n")


def _seed() -> str:
    out = _Out()
    demo.seed(out=out)
    return out.getvalue()


def test_demo_has_the_promised_population():
    _seed()

    assert set(Landlord.objects.values_list("slug", "name")) == {
        ("iaa", "Immobilière Atlantic Aménagement"),
        ("glh", "Grand Lyon Habitat"),
    }
    assert Tenant.objects.filter(is_holder=True).count() == 50
    # The first tenant's household: one adult who joined with their own account.
    assert Tenant.objects.filter(is_holder=False).count() == 1
    assert Tenancy.objects.filter(activated_at__isnull=True).count() == 20
    assert Employer.objects.count() == 8
    assert EmployerMember.objects.count() == 8
    assert set(Staff.objects.filter(landlord__slug="iaa").values_list("role", flat=True)) == {
        "admin",
        "job_advisor",
        "community",
    }
    assert Staff.objects.filter(landlord__slug="glh").count() == 1


def test_demo_residences_are_real_places_in_their_cities():
    _seed()

    cities = {
        "La Rochelle": (
            "17000",
            (Decimal("46.12"), Decimal("46.20")),
            (Decimal("-1.22"), Decimal("-1.08")),
        ),
        "Rochefort": (
            "17300",
            (Decimal("45.91"), Decimal("45.97")),
            (Decimal("-1.00"), Decimal("-0.93")),
        ),
        "Lyon": ("690", (Decimal("45.70"), Decimal("45.80")), (Decimal("4.77"), Decimal("4.90"))),
    }
    for residence in Residence.objects.all():
        postcode, (lat_min, lat_max), (lng_min, lng_max) = cities[residence.city]
        assert residence.postcode.startswith(postcode), residence
        assert lat_min <= residence.latitude <= lat_max, residence
        assert lng_min <= residence.longitude <= lng_max, residence
    iaa = Residence.objects.filter(landlord__slug="iaa")
    assert {r.city for r in iaa} == {"La Rochelle", "Rochefort"}
    assert set(iaa.filter(is_qpv=True).values_list("name", flat=True)) == {
        "Villeneuve-les-Salines",
        "Mireuil",
        "Petit-Marseille",
    }
    assert set(Residence.objects.filter(landlord__slug="glh").values_list("name", "is_qpv")) == {
        ("La Duchère", True),
        ("Mermoz", False),
    }


def test_tenants_belong_to_their_tenancys_landlord_and_are_spread_over_residences():
    _seed()

    tenants = Tenant.objects.select_related("tenancy", "user")
    assert all(t.landlord_id == t.tenancy.landlord_id for t in tenants)
    assert all(t.tenancy.activated_at is not None for t in tenants)
    assert {t.tenancy.residence_id for t in tenants} == set(
        Residence.objects.values_list("pk", flat=True)
    )
    emails = [t.user.email for t in tenants]
    assert all(re.fullmatch(r"[a-z-]+\.[a-z-]+@demo\.voisinage\.test", e) for e in emails)
    assert all(t.user.role == User.Role.TENANT for t in tenants)


def test_employers_have_valid_sirets_coordinates_and_partners():
    _seed()

    for employer in Employer.objects.prefetch_related("landlords"):
        assert siret_is_valid(employer.siret)
        assert _siren_valid(employer.siret[:9])
        assert employer.latitude is not None and employer.longitude is not None
        assert "iaa" in {landlord.slug for landlord in employer.landlords.all()}
    assert Employer.objects.filter(landlords__slug="glh").count() == 1
    assert all(m.user.role == User.Role.EMPLOYER for m in EmployerMember.objects.all())


def _siren_valid(siren: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(siren)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return total % 10 == 0


def test_demo_sirets_are_siren_plus_nic_both_luhn_valid():
    for index in range(8):
        siret = demo.demo_siret(index)
        assert siret_is_valid(siret)
        assert _siren_valid(siret[:9])
    assert len({demo.demo_siret(i) for i in range(8)}) == 8


def test_back_office_accounts_log_in_with_the_demo_password():
    _seed()

    superuser = User.objects.get(email="admin@voisinage.test")
    assert (superuser.is_superuser, superuser.is_staff) == (True, True)
    assert superuser.check_password(demo.DEMO_PASSWORD)
    for staff in Staff.objects.select_related("user"):
        assert staff.user.is_staff and not staff.user.is_superuser
        assert list(staff.user.groups.values_list("name", flat=True)) == [LANDLORD_STAFF_GROUP]
    user, tokens = actions.login(email="ADMIN.IAA@demo.voisinage.test", password=demo.DEMO_PASSWORD)
    assert user.staff.role == Staff.Role.ADMIN
    assert set(tokens) >= {"access", "refresh"}


def test_printed_codes_are_those_of_the_pending_tenancies_and_expire_in_90_days():
    with time_machine.travel("2026-03-01 10:00 +0000", tick=False):
        printed = CODE.findall(_seed())

    assert len(printed) == 20 == len(set(printed))
    pending = Tenancy.objects.filter(activated_at__isnull=True)
    assert {t.activation_code_hash for t in pending} == {codes.hash_code(c) for c in printed}
    assert {t.activation_code_expires_at.isoformat() for t in pending} == {
        "2026-05-30T10:00:00+00:00"
    }


def test_a_second_run_prints_the_same_and_changes_nothing():
    first = _seed()
    stamps = sorted(Tenancy.objects.values_list("pk", "updated_at", "activation_code_hash"))
    users = sorted(User.objects.values_list("pk", "password", "updated_at"))

    second = _seed()

    assert second == first
    assert sorted(Tenancy.objects.values_list("pk", "updated_at", "activation_code_hash")) == stamps
    assert sorted(User.objects.values_list("pk", "password", "updated_at")) == users


def test_a_used_code_is_no_longer_printed_and_nothing_is_recreated():
    code = CODE.findall(_seed())[0]
    actions.tenant_activate(
        activation_code=code, email="nouvelle.locataire@example.org", password="Un-Secret-Solide-9"
    )

    output = _seed()

    assert code not in output
    assert len(CODE.findall(output)) == 19
    assert Tenancy.objects.count() == 70
