"""Console tenancies: list and search, create with a one-time code on a letter, re-issue,
CSV import with its per-row report; all through the accounts actions."""

import datetime

import pytest

from services.accounts import actions
from services.accounts.models import Tenancy
from tests.factories import ResidenceFactory, TenancyFactory

pytestmark = pytest.mark.django_db


def _form(residence, **overrides):
    data = {
        "residence": str(residence.public_id),
        "unit_reference": "B-204",
        "tenant_reference": "LOC-990001",
        "holder_names": "Awa Diallo",
        "start_date": "2026-09-01",
        "end_date": "",
    }
    data.update(overrides)
    return data


def test_list_shows_only_this_landlords_tenancies_and_searches(world, console, web_client):
    TenancyFactory(residence=world.residence_a, tenant_reference="LOC-A1", holder_names="Inès Roy")
    TenancyFactory(residence=world.residence_b, tenant_reference="LOC-B1")
    client = web_client(console.admin_a.user)
    content = client.get("/console/tenancies/").content.decode()
    assert "LOC-A1" in content
    assert "LOC-B1" not in content
    assert "LOC-A1" in client.get("/console/tenancies/?q=inès").content.decode()
    assert "LOC-A1" not in client.get("/console/tenancies/?q=zzz").content.decode()


def test_list_paginates_and_keeps_the_search_in_the_links(world, console, web_client):
    for n in range(30):
        TenancyFactory(residence=world.residence_a, tenant_reference=f"LOC-P{n:02d}")
    content = web_client(console.admin_a.user).get("/console/tenancies/?q=LOC-P").content
    assert b"Page 1 sur 2" in content
    assert b'href="?q=LOC-P&amp;page=2"' in content


def test_tenancy_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries
):
    client = web_client(console.admin_a.user)
    TenancyFactory(residence=world.residence_a)
    client.get("/console/tenancies/")  # warm the session and translations
    with django_assert_num_queries(5) as one:
        client.get("/console/tenancies/")
    for _ in range(24):
        TenancyFactory(residence=world.residence_a2)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get("/console/tenancies/")


def test_create_shows_the_code_once_on_a_letter_and_the_code_activates(world, console, web_client):
    client = web_client(console.admin_a.user)
    response = client.post("/console/tenancies/new/", _form(world.residence_a))
    tenancy = Tenancy.objects.get(tenant_reference="LOC-990001")
    assert tenancy.landlord == world.landlord_a
    assert response["Location"] == f"/console/tenancies/{tenancy.public_id}/letter/"
    letter = client.get(response["Location"])
    assert letter["Cache-Control"] == "no-store"
    code = letter.context["code"]
    assert code and code in letter.content.decode()
    assert "Awa Diallo" in letter.content.decode()
    again = client.get(response["Location"]).content.decode()
    assert code not in again
    assert "déjà été affiché" in again
    tenant, _tokens = actions.tenant_activate(
        activation_code=code, email="awa@example.org", password="une phrase de passe sûre"
    )
    assert tenant.tenancy == tenancy


def test_create_error_is_shown_beside_the_field_and_keeps_what_was_typed(
    world, console, web_client
):
    TenancyFactory(residence=world.residence_a, tenant_reference="LOC-990001")
    response = web_client(console.admin_a.user).post(
        "/console/tenancies/new/", _form(world.residence_a, holder_names="Awa Diallo-Sy")
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_tenant_reference_error"' in content
    assert "existe déjà" in content
    assert 'value="Awa Diallo-Sy"' in content
    assert Tenancy.objects.filter(tenant_reference="LOC-990001").count() == 1


def test_end_before_start_is_refused_beside_the_end_date(world, console, web_client):
    response = web_client(console.admin_a.user).post(
        "/console/tenancies/new/", _form(world.residence_a, end_date="2026-01-01")
    )
    assert 'id="id_end_date_error"' in response.content.decode()
    assert not Tenancy.objects.filter(tenant_reference="LOC-990001").exists()


def test_another_landlords_residence_cannot_be_chosen(world, console, web_client):
    response = web_client(console.admin_a.user).post(
        "/console/tenancies/new/", _form(world.residence_b)
    )
    assert 'id="id_residence_error"' in response.content.decode()
    assert not Tenancy.objects.filter(tenant_reference="LOC-990001").exists()


def test_reissue_gives_a_new_code_and_the_old_one_stops_working(world, console, web_client):
    client = web_client(console.admin_a.user)
    created = actions.tenancy_create(
        actor=console.admin_a.user,
        residence=world.residence_a,
        unit_reference="A-1",
        tenant_reference="LOC-1",
        holder_names="Léa Petit",
        start_date=datetime.date(2026, 1, 1),
    )
    url = f"/console/tenancies/{created.tenancy.public_id}/reissue-code/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    new_code = client.get(response["Location"]).context["code"]
    assert new_code and new_code != created.activation_code
    with pytest.raises(actions.InvalidActivationCode):
        actions.tenant_activate(
            activation_code=created.activation_code, email="lea@example.org", password="x" * 12
        )


def test_reissue_on_an_activated_tenancy_says_why(world, console, web_client):
    tenancy = world.tenant_a.tenancy
    tenancy.activated_at = tenancy.created_at
    tenancy.save(update_fields=["activated_at"])
    client = web_client(console.admin_a.user)
    response = client.post(f"/console/tenancies/{tenancy.public_id}/reissue-code/", follow=True)
    assert "déjà activé" in response.content.decode()


CSV = (
    "residence;unit_reference;tenant_reference;holder_names;start_date;end_date\n"
    "Les Minimes;A-12;LOC-700001;Noé Garnier;01/09/2026;\n"
    "La Duchère;B-1;LOC-700002;Yanis Haddad;2026-09-01;\n"
)


def test_csv_import_reports_each_row_and_shows_the_new_codes(world, console, web_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = web_client(console.admin_a.user).post(
        "/console/tenancies/import/",
        {"file": SimpleUploadedFile("baux.csv", CSV.encode(), content_type="text/csv")},
    )
    content = response.content.decode()
    report = response.context["report"]
    assert [row["tenant_reference"] for row in report.created] == ["LOC-700001"]
    assert report.created[0]["activation_code"] in content
    assert [(row["line"], row["tenant_reference"]) for row in report.rejected] == [
        (3, "LOC-700002")
    ]
    assert "Résidence inconnue" in content
    assert response["Cache-Control"] == "no-store"


def test_unreadable_csv_is_refused_beside_the_file_field(world, console, web_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = web_client(console.admin_a.user).post(
        "/console/tenancies/import/",
        {"file": SimpleUploadedFile("x.csv", b"nom;prenom\nA;B\n", content_type="text/csv")},
    )
    content = response.content.decode()
    assert 'id="id_file_error"' in content
    assert "Colonnes manquantes" in content


def test_residences_offered_are_the_landlords_own(world, console, web_client):
    ResidenceFactory(landlord=world.landlord_b, name="Résidence B secrète")
    content = web_client(console.admin_a.user).get("/console/tenancies/new/").content.decode()
    assert "Les Minimes" in content
    assert "secrète" not in content
    assert "La Duchère" not in content


def test_an_htmx_search_gets_the_results_alone(world, console, web_client):
    TenancyFactory(residence=world.residence_a, tenant_reference="LOC-H1")
    response = web_client(console.admin_a.user).get(
        "/console/tenancies/?q=LOC-H", HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="tenancy-results"')
    assert "LOC-H1" in content
    assert "<html" not in content
