"""The admin back-office: staff see and write only their own landlord's rows."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from services.accounts import codes
from services.accounts.models import Employer, Landlord, Residence, Staff, Tenancy, User
from services.core.admin import (
    LANDLORD_STAFF_GROUP,
    LandlordScopedAdmin,
    ensure_landlord_staff_group,
)
from tests.factories import (
    EmployerFactory,
    EmployerMemberFactory,
    StaffFactory,
    TenancyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def _admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _make_back_office_staff(staff: Staff) -> User:
    group = ensure_landlord_staff_group()
    user = staff.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
    return User.objects.get(pk=user.pk)  # no cached permissions


@pytest.fixture
def staff_a(world) -> User:
    return _make_back_office_staff(world.staff_a)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root@example.org", "Correct-Horse-42")


def _changelist_pks(client: Client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].queryset}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _codes_shown(response, reference: str) -> list[str]:
    return [
        match
        for message in _messages(response)
        if reference in message
        for match in CODE.findall(message)
    ]


def _tenancy_post(residence: Residence, reference: str = "LOC-NEW-1") -> dict:
    return {
        "residence": str(residence.pk),
        "unit_reference": "B12",
        "tenant_reference": reference,
        "holder_names": "Inès Moreau",
        "start_date": "2025-03-01",
        "end_date": "",
        "_save": "Enregistrer",
    }


# --- changelists -------------------------------------------------------------------------


def test_staff_changelists_show_only_their_landlords_rows(world, staff_a):
    client = _admin_client(staff_a)

    tenancies = _changelist_pks(client, "/admin/accounts/tenancy/")
    residences = _changelist_pks(client, "/admin/accounts/residence/")
    users = _changelist_pks(client, "/admin/accounts/user/")
    landlords = _changelist_pks(client, "/admin/accounts/landlord/")
    employers = _changelist_pks(client, "/admin/accounts/employer/")

    assert tenancies == {world.tenant_a.tenancy_id, world.tenant_a2.tenancy_id}
    assert residences == {world.residence_a.pk, world.residence_a2.pk}
    assert users == {
        world.tenant_a.user_id,
        world.tenant_a2.user_id,
        world.staff_a.user_id,
        world.employer_member.user_id,
    }
    assert landlords == {world.landlord_a.pk}
    assert employers == {world.employer_a.pk}


def test_staff_changelist_filters_list_only_their_residences(world, staff_a):
    response = _admin_client(staff_a).get("/admin/accounts/tenancy/")

    content = response.content.decode()
    assert "Les Minimes" in content
    assert "La Duchère" not in content


def test_superuser_sees_every_landlord(world, superuser):
    client = _admin_client(superuser)

    tenancies = _changelist_pks(client, "/admin/accounts/tenancy/")
    residences = _changelist_pks(client, "/admin/accounts/residence/")

    assert tenancies == set(Tenancy.objects.values_list("pk", flat=True))
    assert len(tenancies) == 3
    assert residences == {world.residence_a.pk, world.residence_a2.pk, world.residence_b.pk}


def test_staff_without_the_group_cannot_use_the_admin(world):
    user = world.staff_a.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])

    response = _admin_client(user).get("/admin/accounts/tenancy/")

    assert response.status_code == 403


def test_staff_without_a_staff_row_sees_nothing(world):
    group = ensure_landlord_staff_group()
    stray = UserFactory(role=User.Role.STAFF, is_staff=True)
    stray.groups.add(group)

    client = _admin_client(stray)

    assert _changelist_pks(client, "/admin/accounts/tenancy/") == set()
    assert _changelist_pks(client, "/admin/accounts/user/") == set()


# --- objects of another landlord -------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["change/", "history/", "delete/"])
def test_another_landlords_tenancy_is_a_404(world, staff_a, suffix):
    tenancy_b = world.tenant_b.tenancy

    response = _admin_client(staff_a).get(f"/admin/accounts/tenancy/{tenancy_b.pk}/{suffix}")

    assert response.status_code == 404


def test_another_landlords_user_and_residence_are_404(world, staff_a):
    client = _admin_client(staff_a)

    user_page = client.get(f"/admin/accounts/user/{world.tenant_b.user_id}/change/")
    residence_page = client.get(f"/admin/accounts/residence/{world.residence_b.pk}/change/")
    landlord_page = client.get(f"/admin/accounts/landlord/{world.landlord_b.pk}/change/")

    assert (user_page.status_code, residence_page.status_code, landlord_page.status_code) == (
        404,
        404,
        404,
    )


def test_own_tenancy_change_page_shows_no_code_hash(world, staff_a):
    tenancy = world.tenant_a.tenancy
    Tenancy.objects.filter(pk=tenancy.pk).update(activation_code_hash="f" * 64)

    response = _admin_client(staff_a).get(f"/admin/accounts/tenancy/{tenancy.pk}/change/")

    assert response.status_code == 200
    assert "f" * 64 not in response.content.decode()
    assert "activation_code_hash" not in response.context["adminform"].form.fields


# --- choices and writes ---------------------------------------------------------------------


def test_tenancy_add_form_offers_only_their_residences_and_landlord(world, staff_a):
    response = _admin_client(staff_a).get("/admin/accounts/tenancy/add/")

    form = response.context["adminform"].form
    assert set(form.fields["residence"].queryset) == {world.residence_a, world.residence_a2}
    assert list(form.fields["landlord"].queryset) == [world.landlord_a]
    assert form.fields["landlord"].disabled is True


def test_staff_creates_a_tenancy_in_their_landlord_and_sees_its_code_once(world, staff_a):
    response = _admin_client(staff_a).post(
        "/admin/accounts/tenancy/add/", _tenancy_post(world.residence_a)
    )

    assert response.status_code == 302
    tenancy = Tenancy.objects.get(tenant_reference="LOC-NEW-1")
    assert tenancy.landlord == world.landlord_a
    assert tenancy.residence == world.residence_a
    (code,) = _codes_shown(response, "LOC-NEW-1")
    assert codes.hash_code(code) == tenancy.activation_code_hash


def test_creating_a_tenancy_with_another_landlords_residence_is_refused(world, staff_a):
    before = Tenancy.objects.count()

    response = _admin_client(staff_a).post(
        "/admin/accounts/tenancy/add/", _tenancy_post(world.residence_b)
    )

    assert response.status_code == 200
    assert "residence" in response.context["adminform"].form.errors
    assert Tenancy.objects.count() == before
    assert not Tenancy.objects.filter(tenant_reference="LOC-NEW-1").exists()


def test_a_posted_landlord_is_ignored_for_staff(world, staff_a):
    data = _tenancy_post(world.residence_a) | {"landlord": str(world.landlord_b.pk)}

    _admin_client(staff_a).post("/admin/accounts/tenancy/add/", data)

    assert Tenancy.objects.get(tenant_reference="LOC-NEW-1").landlord == world.landlord_a


def test_staff_cannot_move_a_tenancy_to_another_landlords_residence(world, staff_a):
    tenancy = world.tenant_a.tenancy
    data = _tenancy_post(world.residence_b, reference=tenancy.tenant_reference)

    response = _admin_client(staff_a).post(f"/admin/accounts/tenancy/{tenancy.pk}/change/", data)

    assert response.status_code == 200
    tenancy.refresh_from_db()
    assert tenancy.residence == world.residence_a


def test_superuser_cannot_mix_a_landlord_with_another_landlords_residence(world, superuser):
    data = _tenancy_post(world.residence_b) | {"landlord": str(world.landlord_a.pk)}

    response = _admin_client(superuser).post("/admin/accounts/tenancy/add/", data)

    assert response.status_code == 200
    assert "residence" in response.context["adminform"].form.errors
    assert not Tenancy.objects.filter(tenant_reference="LOC-NEW-1").exists()


def test_job_advisor_may_look_at_tenancies_but_not_create_them(world):
    advisor = _make_back_office_staff(
        StaffFactory(landlord=world.landlord_a, role=Staff.Role.JOB_ADVISOR)
    )
    client = _admin_client(advisor)

    assert client.get("/admin/accounts/tenancy/").status_code == 200
    assert client.get("/admin/accounts/tenancy/add/").status_code == 403


def test_reissue_action_shows_a_new_working_code(world, staff_a):
    tenancy = TenancyFactory(residence=world.residence_a, tenant_reference="LOC-REISSUE")

    response = _admin_client(staff_a).post(
        "/admin/accounts/tenancy/",
        {"action": "reissue_activation_code", "_selected_action": [str(tenancy.pk)]},
    )

    assert response.status_code == 302
    (code,) = _codes_shown(response, "LOC-REISSUE")
    tenancy.refresh_from_db()
    assert codes.hash_code(code) == tenancy.activation_code_hash
    assert tenancy.activation_code_expires_at is not None


def test_reissue_action_ignores_another_landlords_tenancy(world, staff_a):
    tenancy_b = world.tenant_b.tenancy

    _admin_client(staff_a).post(
        "/admin/accounts/tenancy/",
        {"action": "reissue_activation_code", "_selected_action": [str(tenancy_b.pk)]},
    )

    tenancy_b.refresh_from_db()
    assert tenancy_b.activation_code_hash is None


def test_employer_edit_by_staff_keeps_other_landlords_partnerships(world, staff_a):
    shared = EmployerFactory(
        name="Atlantique Logistique", landlords=[world.landlord_a, world.landlord_b]
    )
    client = _admin_client(staff_a)

    form = client.get(f"/admin/accounts/employer/{shared.pk}/change/").context["adminform"].form
    assert list(form.fields["landlords"].queryset) == [world.landlord_a]
    response = client.post(
        f"/admin/accounts/employer/{shared.pk}/change/",
        {
            "name": "Atlantique Logistique SAS",
            "siret": shared.siret,
            "address": "",
            "postcode": "17000",
            "city": "La Rochelle",
            "latitude": "",
            "longitude": "",
            "landlords": [str(world.landlord_a.pk)],
        },
    )

    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.name == "Atlantique Logistique SAS"
    assert set(shared.landlords.all()) == {world.landlord_a, world.landlord_b}


def test_employer_created_by_staff_is_partnered_with_their_landlord(world, staff_a):
    from tests.factories import valid_siret

    response = _admin_client(staff_a).post(
        "/admin/accounts/employer/add/",
        {
            "name": "Boulangerie du Port",
            "siret": valid_siret(4242),
            "address": "",
            "postcode": "17000",
            "city": "La Rochelle",
            "latitude": "",
            "longitude": "",
        },
    )

    assert response.status_code == 302
    employer = Employer.objects.get(name="Boulangerie du Port")
    assert list(employer.landlords.all()) == [world.landlord_a]


def test_landlord_is_read_only_for_staff(world, staff_a):
    client = _admin_client(staff_a)
    url = f"/admin/accounts/landlord/{world.landlord_a.pk}/change/"

    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Renamed", "slug": "renamed"})

    assert response.status_code == 403
    assert Landlord.objects.get(pk=world.landlord_a.pk).name == "Immobilière Atlantic Aménagement"


# --- users ----------------------------------------------------------------------------------


def test_staff_user_form_has_no_privilege_fields(world, staff_a):
    tenant_user = world.tenant_a.user

    response = _admin_client(staff_a).get(f"/admin/accounts/user/{tenant_user.pk}/change/")

    fields = set(response.context["adminform"].form.fields)
    assert {"is_superuser", "is_staff", "groups", "user_permissions", "password"}.isdisjoint(fields)
    assert "email" in fields


def test_staff_cannot_set_a_tenants_password(world, staff_a):
    tenant_user = world.tenant_a.user

    response = _admin_client(staff_a).post(
        f"/admin/accounts/user/{tenant_user.pk}/password/",
        {"password1": "Another-Secret-99", "password2": "Another-Secret-99"},
    )

    assert response.status_code == 403
    tenant_user.refresh_from_db()
    assert tenant_user.check_password("Correct-Horse-42")


def test_staff_deactivating_a_tenant_ends_their_sessions(world, staff_a):
    tenant_user = world.tenant_a.user
    response = _admin_client(staff_a).post(
        f"/admin/accounts/user/{tenant_user.pk}/change/",
        {
            "email": tenant_user.email,
            "first_name": tenant_user.first_name,
            "last_name": tenant_user.last_name,
            "phone": "",
            "language": "fr",
            # is_active unchecked
        },
    )

    assert response.status_code == 302
    tenant_user.refresh_from_db()
    assert (tenant_user.is_active, tenant_user.token_version) == (False, 1)


def test_superuser_creates_a_user_by_email_and_sets_a_password(superuser):
    client = _admin_client(superuser)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Nouvelle.Conseillere@Example.org",
            "role": "staff",
            "first_name": "Nadia",
            "last_name": "Benali",
            "language": "fr",
            "password1": "Un-Mot-De-Passe-Solide-7",
            "password2": "Un-Mot-De-Passe-Solide-7",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.conseillere@example.org")
    assert user.check_password("Un-Mot-De-Passe-Solide-7")

    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {
            "password1": "Encore-Un-Autre-Secret-8",
            "password2": "Encore-Un-Autre-Secret-8",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Encore-Un-Autre-Secret-8")
    assert user.token_version == 1


def test_superuser_user_add_refuses_an_email_differing_only_by_case(world, superuser):
    existing = world.tenant_a.user

    response = _admin_client(superuser).post(
        "/admin/accounts/user/add/",
        {
            "email": existing.email.upper(),
            "role": "tenant",
            "language": "fr",
            "password1": "Un-Mot-De-Passe-Solide-7",
            "password2": "Un-Mot-De-Passe-Solide-7",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact=existing.email).count() == 1


# --- the group ------------------------------------------------------------------------------


def test_staff_group_is_idempotent_and_holds_the_scoped_permissions(db):
    first = ensure_landlord_staff_group()
    second = ensure_landlord_staff_group()

    codenames = set(second.permissions.values_list("codename", flat=True))
    assert first.pk == second.pk
    assert Group.objects.filter(name=LANDLORD_STAFF_GROUP).count() == 1
    assert {"view_tenancy", "add_tenancy", "change_tenancy", "view_landlord"} <= codenames
    assert {"change_landlord", "add_user", "delete_tenancy", "add_staff"}.isdisjoint(codenames)


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_changelist_query_count_is_the_same_for_one_and_many_rows(world, staff_a):
    client = _admin_client(staff_a)
    client.get("/admin/accounts/tenancy/")  # warm caches (content types)
    with_few = _queries_for(client, "/admin/accounts/tenancy/")
    for index in range(20):
        TenancyFactory(
            residence=world.residence_a,
            start_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=index),
        )

    with_many = _queries_for(client, "/admin/accounts/tenancy/")

    assert with_many == with_few


# --- every page renders -------------------------------------------------------------------

ACCOUNT_MODELS = (
    "landlord",
    "residence",
    "tenancy",
    "tenant",
    "staff",
    "employer",
    "employermember",
    "employerinvitation",
    "user",
)


@pytest.mark.parametrize("as_superuser", [True, False], ids=["superuser", "staff"])
def test_every_accounts_admin_page_renders(world, staff_a, superuser, as_superuser):
    from services.accounts.actions import employer_invitation_create

    employer_invitation_create(actor=staff_a, employer=world.employer_a)
    client = _admin_client(superuser if as_superuser else staff_a)
    objects = {
        "landlord": world.landlord_a,
        "residence": world.residence_a,
        "tenancy": world.tenant_a.tenancy,
        "tenant": world.tenant_a,
        "staff": world.staff_a,
        "employer": world.employer_a,
        "employermember": world.employer_member,
        "employerinvitation": world.employer_a.invitations.get(),
        "user": world.tenant_a.user,
    }

    statuses = {}
    for name in ACCOUNT_MODELS:
        base = f"/admin/accounts/{name}/"
        statuses[name] = (
            client.get(base).status_code,
            client.get(f"{base}{objects[name].pk}/change/").status_code,
            client.get(f"{base}add/").status_code,
        )

    allowed_add = 200 if as_superuser else 403
    assert statuses == {
        "landlord": (200, 200, allowed_add),
        "residence": (200, 200, 200),
        "tenancy": (200, 200, 200),
        "tenant": (200, 200, allowed_add),
        "staff": (200, 200, allowed_add),
        "employer": (200, 200, 200),
        "employermember": (200, 200, allowed_add),
        "employerinvitation": (200, 200, 403),
        "user": (200, 200, allowed_add),
    }
    assert client.get("/admin/").status_code == 200


def test_employer_filter_does_not_name_another_landlord(world, staff_a):
    EmployerFactory(name="Atlantique Logistique", landlords=[world.landlord_a, world.landlord_b])

    response = _admin_client(staff_a).get("/admin/accounts/employer/")

    content = response.content.decode()
    assert "Immobilière Atlantic Aménagement" in content  # the filter is there
    assert "Grand Lyon Habitat" not in content


def test_the_account_of_a_tenant_row_cannot_be_moved(world, staff_a, superuser):
    tenant = world.tenant_a

    for user in (staff_a, superuser):
        response = _admin_client(user).get(f"/admin/accounts/tenant/{tenant.pk}/change/")
        assert "user" not in response.context["adminform"].form.fields


# --- the base class on its own ----------------------------------------------------------------


def test_landlord_paths_are_known_for_core_models_and_registered_admins():
    from django.contrib import admin as django_admin

    from services.accounts.models import Tenant
    from services.core.admin import landlord_path_for

    assert landlord_path_for(Landlord) == "pk"
    assert landlord_path_for(Tenant) == "landlord"
    assert landlord_path_for(Employer) == "landlords"
    assert landlord_path_for(Group) is None
    for model, model_admin in django_admin.site._registry.items():
        if isinstance(model_admin, LandlordScopedAdmin):
            assert landlord_path_for(model) is not None


def test_a_user_reached_through_two_paths_is_listed_once(world, staff_a):
    shared = EmployerFactory(landlords=[world.landlord_a, world.landlord_b])
    member = EmployerMemberFactory(employer=shared)

    response = _admin_client(staff_a).get("/admin/accounts/user/")

    listed = [obj.pk for obj in response.context["cl"].result_list]
    assert listed.count(member.user_id) == 1
    assert response.context["cl"].result_count == len(listed) == 5


def test_a_deep_landlord_path_refuses_a_row_of_another_landlord(world):
    from django.contrib.admin import AdminSite
    from django.forms import modelform_factory

    from services.accounts.models import Tenant

    class TenantByTenancyAdmin(LandlordScopedAdmin):
        landlord_path = "tenancy__landlord"

    model_admin = TenantByTenancyAdmin(Tenant, AdminSite(name="scoping-test"))
    form_class = modelform_factory(Tenant, fields=("tenancy",))

    foreign = form_class(data={"tenancy": world.tenant_b.tenancy_id}, instance=Tenant())
    assert foreign.is_valid()
    model_admin.check_instance_landlord(foreign, world.landlord_a.pk)
    own = form_class(data={"tenancy": world.tenant_a.tenancy_id}, instance=Tenant())
    assert own.is_valid()
    model_admin.check_instance_landlord(own, world.landlord_a.pk)

    assert list(foreign.errors) == ["tenancy"]
    assert own.errors == {}
