import datetime

import pytest
import time_machine

from services.accounts.models import EmployerInvitation, Staff, Tenancy, Tenant, User
from services.core.models import IdempotencyRecord
from tests.conftest import client_for
from tests.factories import EmployerFactory, StaffFactory, valid_siret

pytestmark = pytest.mark.django_db

STRONG = "Un-Mot-De-Passe-Solide-42"


def _create_tenancy(world, **overrides):
    body = {
        "residence": str(world.residence_a.public_id),
        "unit_reference": "B-204",
        "tenant_reference": "LOC-777",
        "holder_names": "Awa Diallo",
        "start_date": "2024-09-01",
        **overrides,
    }
    return client_for(world.staff_a.user).post("/api/v1/tenancies/", body, format="json")


def _activate(code, email="awa@example.org", password=STRONG, **extra):
    return client_for(None).post(
        "/api/v1/auth/activate/",
        {"activation_code": code, "email": email, "password": password, **extra},
        format="json",
    )


def test_staff_create_a_tenancy_and_see_its_code_once(world):
    response = _create_tenancy(world)
    assert response.status_code == 201
    body = response.json()
    code = body["activation_code"]
    assert len(code) == 19 and body["activated"] is False
    tenancy = Tenancy.objects.get(public_id=body["id"])
    assert tenancy.landlord == world.landlord_a
    assert code not in tenancy.activation_code_hash
    detail = client_for(world.staff_a.user).get(f"/api/v1/tenancies/{body['id']}/").json()
    assert "activation_code" not in detail


def test_staff_cannot_create_a_tenancy_in_another_landlords_residence(world):
    response = _create_tenancy(world, residence=str(world.residence_b.public_id))
    assert response.status_code == 400
    assert response.json()["fields"] == {"residence": ["Résidence inconnue."]}
    assert not Tenancy.objects.filter(tenant_reference="LOC-777").exists()


def test_a_job_advisor_may_not_manage_tenancies(world):
    advisor = StaffFactory(landlord=world.landlord_a, role=Staff.Role.JOB_ADVISOR)
    response = client_for(advisor.user).post(
        "/api/v1/tenancies/",
        {
            "residence": str(world.residence_a.public_id),
            "unit_reference": "B-204",
            "tenant_reference": "LOC-777",
            "holder_names": "Awa Diallo",
            "start_date": "2024-09-01",
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Tenancy.objects.filter(tenant_reference="LOC-777").exists()


def test_a_duplicate_tenant_reference_is_refused(world):
    assert _create_tenancy(world).status_code == 201
    again = _create_tenancy(world)
    assert again.status_code == 400
    assert again.json()["code"] == "tenancy_exists"
    assert Tenancy.objects.filter(tenant_reference="LOC-777").count() == 1


def test_an_end_date_before_the_start_is_refused(world):
    response = _create_tenancy(world, end_date="2024-01-01")
    assert response.status_code == 400
    assert "end_date" in response.json()["fields"]


def test_activation_turns_the_code_into_a_tenant_account(world):
    code = _create_tenancy(world).json()["activation_code"]
    response = _activate(code.lower(), email="Awa@Example.org", language="en")
    assert response.status_code == 201
    tenant = Tenant.objects.get(user__email="awa@example.org")
    assert tenant.landlord == world.landlord_a
    assert tenant.user.role == User.Role.TENANT and tenant.user.language == "en"
    assert tenant.user.first_name == "Awa" and tenant.user.last_name == "Diallo"
    me = client_for(None)
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    profile = me.get("/api/v1/me/").json()
    assert profile["residence"]["id"] == str(world.residence_a.public_id)
    assert profile["landlord"]["name"] == "Immobilière Atlantic Aménagement"


def test_used_expired_and_unknown_codes_answer_the_same_error(world):
    code = _create_tenancy(world).json()["activation_code"]
    assert _activate(code).status_code == 201
    used = _activate(code, email="other@example.org")
    unknown = _activate("AAAA-BBBB-CCCC-DDDD", email="other@example.org")
    code2 = _create_tenancy(world, tenant_reference="LOC-778").json()["activation_code"]
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=90, minutes=1)
    with time_machine.travel(later):
        expired = _activate(code2, email="other@example.org")
    assert used.status_code == unknown.status_code == expired.status_code == 400
    assert used.json() == unknown.json() == expired.json()
    assert used.json()["code"] == "invalid_activation_code"
    assert not User.objects.filter(email="other@example.org").exists()


def test_a_code_of_an_ended_tenancy_is_refused(world):
    code = _create_tenancy(world, end_date="2025-01-31").json()["activation_code"]
    response = _activate(code)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_activation_code"


def test_an_activated_tenancy_gets_no_new_code(world):
    created = _create_tenancy(world).json()
    assert _activate(created["activation_code"]).status_code == 201
    again = client_for(world.staff_a.user).post(
        f"/api/v1/tenancies/{created['id']}/activation-code/"
    )
    assert again.status_code == 400
    assert again.json()["code"] == "tenancy_already_activated"
    assert Tenant.objects.filter(tenancy__public_id=created["id"]).count() == 1


def test_a_job_advisor_may_not_read_tenancies(world):
    advisor = StaffFactory(landlord=world.landlord_a, role=Staff.Role.JOB_ADVISOR)
    assert client_for(advisor.user).get("/api/v1/tenancies/").status_code == 403


def test_a_code_still_works_just_before_ninety_days(world):
    code = _create_tenancy(world).json()["activation_code"]
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=89, hours=23)
    with time_machine.travel(later):
        assert _activate(code).status_code == 201


def test_reissuing_a_code_kills_the_previous_one(world):
    created = _create_tenancy(world).json()
    reissued = client_for(world.staff_a.user).post(
        f"/api/v1/tenancies/{created['id']}/activation-code/"
    )
    assert reissued.status_code == 200
    assert _activate(created["activation_code"]).status_code == 400
    assert _activate(reissued.json()["activation_code"]).status_code == 201


def test_a_weak_password_or_taken_email_creates_nothing(world):
    code = _create_tenancy(world).json()["activation_code"]
    weak = _activate(code, password="123")
    assert weak.status_code == 400 and weak.json()["code"] == "invalid_password"
    taken = _activate(code, email=world.tenant_a.user.email)
    assert taken.status_code == 400 and taken.json()["code"] == "email_taken"
    assert Tenancy.objects.get(tenant_reference="LOC-777").activated_at is None
    assert _activate(code).status_code == 201


def test_activation_attempts_are_throttled(world, settings):
    settings.ACTIVATION_MAX_ATTEMPTS_PER_HOUR = 3
    code = _create_tenancy(world).json()["activation_code"]
    answers = [_activate(f"AAAA-BBBB-CCCC-DDD{i}").status_code for i in range(4)]
    assert answers == [400, 400, 400, 429]
    refused = _activate(code)  # the right code too, for this client
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 3540 < refused.json()["retry_after"] <= 3600  # an hour from the third failure


def test_only_failed_activations_count_towards_the_throttle(world, settings):
    settings.ACTIVATION_MAX_ATTEMPTS_PER_HOUR = 2
    for index in range(3):
        code = _create_tenancy(world, tenant_reference=f"LOC-8{index}").json()["activation_code"]
        assert _activate(code, email=f"t{index}@example.org").status_code == 201


def test_anonymous_idempotency_keys_do_not_collide_between_clients(world):
    first = _create_tenancy(world).json()["activation_code"]
    second = _create_tenancy(world, tenant_reference="LOC-778").json()["activation_code"]
    one = client_for(None).post(
        "/api/v1/auth/activate/",
        {"activation_code": first, "email": "a1@example.org", "password": STRONG},
        format="json",
        HTTP_IDEMPOTENCY_KEY="1",
        REMOTE_ADDR="10.0.0.1",
    )
    two = client_for(None).post(
        "/api/v1/auth/activate/",
        {"activation_code": second, "email": "a2@example.org", "password": STRONG},
        format="json",
        HTTP_IDEMPOTENCY_KEY="1",
        REMOTE_ADDR="10.0.0.2",
    )
    assert one.status_code == two.status_code == 201


def test_activation_replays_with_the_same_idempotency_key(world):
    code = _create_tenancy(world).json()["activation_code"]
    body = {"activation_code": code, "email": "awa@example.org", "password": STRONG}
    client = client_for(None)
    first = client.post("/api/v1/auth/activate/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post("/api/v1/auth/activate/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    other = client.post(
        "/api/v1/auth/activate/",
        {**body, "email": "x@example.org"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    stored = IdempotencyRecord.objects.get(key="k1")
    assert first.json()["refresh"] not in stored.response_sealed
    assert User.objects.filter(role="tenant", email="awa@example.org").count() == 1


def test_tenancy_creation_is_idempotent(world):
    client = client_for(world.staff_a.user)
    body = {
        "residence": str(world.residence_a.public_id),
        "unit_reference": "B-204",
        "tenant_reference": "LOC-777",
        "holder_names": "Awa Diallo",
        "start_date": "2024-09-01",
    }
    first = client.post("/api/v1/tenancies/", body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    second = client.post("/api/v1/tenancies/", body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Tenancy.objects.filter(tenant_reference="LOC-777").count() == 1


def test_staff_list_only_their_landlords_tenancies(world):
    body = client_for(world.staff_b.user).get("/api/v1/tenancies/").json()
    assert [t["id"] for t in body["results"]] == [str(world.tenant_b.tenancy.public_id)]


# --- Employers and invitations -----------------------------------------------------


def test_staff_partner_a_new_employer(world):
    siret = valid_siret(99)
    response = client_for(world.staff_a.user).post(
        "/api/v1/employers/", {"name": "Boulangerie du Port", "siret": siret}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["siret"] == siret
    listed = client_for(world.staff_a.user).get("/api/v1/employers/").json()["results"]
    assert {e["name"] for e in listed} == {"Océan Propreté", "Boulangerie du Port"}
    assert client_for(world.staff_b.user).get("/api/v1/employers/").json()["results"] == []


def test_a_bad_siret_is_refused(world):
    response = client_for(world.staff_a.user).post(
        "/api/v1/employers/", {"name": "X", "siret": "12345678901234"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_siret"


def test_a_known_siret_is_a_conflict_and_partners_nothing(world):
    response = client_for(world.staff_b.user).post(
        "/api/v1/employers/", {"name": "Autre nom", "siret": world.employer_a.siret}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "employer_exists"
    assert set(world.employer_a.landlords.all()) == {world.landlord_a}


def test_an_employer_member_sees_only_its_company(world):
    EmployerFactory(landlords=[world.landlord_a])
    body = client_for(world.employer_member.user).get("/api/v1/employers/").json()
    assert [e["id"] for e in body["results"]] == [str(world.employer_a.public_id)]


def test_an_invitation_onboards_an_employer_member_once(world):
    issued = client_for(world.staff_a.user).post(
        f"/api/v1/employers/{world.employer_a.public_id}/invitations/"
    )
    assert issued.status_code == 201
    code = issued.json()["invitation_code"]
    body = {
        "invitation_code": code,
        "email": "rh@ocean.fr",
        "password": STRONG,
        "name": "Lina Roux",
    }
    accepted = client_for(None).post(
        "/api/v1/auth/employer-invitations/accept/", body, format="json"
    )
    assert accepted.status_code == 201
    member = User.objects.get(email="rh@ocean.fr")
    assert member.role == "employer"
    assert member.employer_member.employer == world.employer_a
    assert (member.first_name, member.last_name) == ("Lina", "Roux")
    again = client_for(None).post(
        "/api/v1/auth/employer-invitations/accept/",
        {**body, "email": "rh2@ocean.fr"},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_invitation_code"
    assert EmployerInvitation.objects.get().accepted_by == member


def test_an_expired_invitation_is_refused(world):
    code = (
        client_for(world.staff_a.user)
        .post(f"/api/v1/employers/{world.employer_a.public_id}/invitations/")
        .json()["invitation_code"]
    )
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=15)
    with time_machine.travel(later):
        response = client_for(None).post(
            "/api/v1/auth/employer-invitations/accept/",
            {"invitation_code": code, "email": "rh@ocean.fr", "password": STRONG, "name": "L R"},
            format="json",
        )
    assert response.status_code == 400
    assert not User.objects.filter(email="rh@ocean.fr").exists()


# --- Profile -------------------------------------------------------------------------


def test_me_shows_the_role_specific_links(world):
    tenant = client_for(world.tenant_a.user).get("/api/v1/me/").json()
    assert tenant["role"] == "tenant" and tenant["employer"] is None
    assert tenant["residence"]["name"] == "Les Minimes"
    employer = client_for(world.employer_member.user).get("/api/v1/me/").json()
    assert employer["employer"]["name"] == "Océan Propreté" and employer["landlord"] is None
    staff = client_for(world.staff_a.user).get("/api/v1/me/").json()
    assert staff["staff_role"] == "admin" and staff["landlord"]["id"] == str(
        world.landlord_a.public_id
    )


def test_me_patch_changes_only_allowed_fields(world):
    client = client_for(world.tenant_a.user)
    response = client.patch(
        "/api/v1/me/",
        {"phone": "+33 6 12 34 56 78", "language": "en", "role": "staff", "email": "x@y.z"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "+33 6 12 34 56 78"
    assert response.json()["role"] == "tenant"
    world.tenant_a.user.refresh_from_db()
    assert world.tenant_a.user.language == "en"
    assert world.tenant_a.user.email != "x@y.z"


def test_me_patch_refuses_an_unknown_language(world):
    response = client_for(world.tenant_a.user).patch(
        "/api/v1/me/", {"language": "de"}, format="json"
    )
    assert response.status_code == 400
    assert "language" in response.json()["fields"]


def test_activation_earns_the_welcome_bonus(world):
    from services.loyalty.models import DEFAULT_RULE_POINTS, Rule
    from services.loyalty.selectors import account_balance

    code = _create_tenancy(world).json()["activation_code"]
    assert _activate(code).status_code == 201
    tenant = Tenant.objects.get(user__email="awa@example.org")
    assert account_balance(tenant=tenant) == DEFAULT_RULE_POINTS[Rule.WELCOME_BONUS] == 50
