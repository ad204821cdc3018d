import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from services.accounts.models import Tenancy
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _upload(world, text: str, encoding="utf-8"):
    upload = SimpleUploadedFile("baux.csv", text.encode(encoding), content_type="text/csv")
    return client_for(world.staff_a.user).post(
        "/api/v1/tenancies/import/", {"file": upload}, format="multipart"
    )


CSV = (
    "residence;unit_reference;tenant_reference;holder_names;start_date;end_date\n"
    "Les Minimes;A-01;LOC-100;Léa Moreau;2023-04-01;\n"
    "Le Bois-Joli;B-02;LOC-101;Karim Benali;15/06/2022;\n"
    "La Duchère;C-03;LOC-102;Hors Bailleur;2023-01-01;\n"
    "Les Minimes;A-04;LOC-103;Date Fausse;2023-13-45;\n"
    "Les Minimes;A-05;LOC-100;Doublon Fichier;2023-01-01;\n"
    "Les Minimes;;LOC-104;Sans Logement;2023-01-01;\n"
)


def test_import_creates_valid_rows_and_reports_each_rejected_line(world):
    response = _upload(world, CSV)
    assert response.status_code == 200
    body = response.json()
    assert [(r["line"], r["tenant_reference"]) for r in body["created"]] == [
        (2, "LOC-100"),
        (3, "LOC-101"),
    ]
    assert all(len(r["activation_code"]) == 19 for r in body["created"])
    assert [(r["line"], r["reason"]) for r in body["rejected"]] == [
        (4, "Résidence inconnue."),
        (5, "Les dates doivent être au format AAAA-MM-JJ ou JJ/MM/AAAA."),
        (6, "Cette référence locataire apparaît deux fois dans le fichier."),
        (7, "tenant_reference, unit_reference et holder_names sont obligatoires."),
    ]
    assert (
        Tenancy.objects.filter(
            landlord=world.landlord_a, tenant_reference__startswith="LOC-1"
        ).count()
        == 2
    )


def test_reimporting_the_same_file_creates_nothing_twice(world):
    _upload(world, CSV)
    again = _upload(world, CSV).json()
    assert again["created"] == []
    assert [r["line"] for r in again["rejected"]] == [2, 3, 4, 5, 6, 7]
    assert again["rejected"][0]["reason"] == "Un bail existe déjà avec cette référence locataire."
    assert Tenancy.objects.filter(tenant_reference__startswith="LOC-1").count() == 2


def test_windows_encoded_comma_separated_files_are_read(world):
    text = (
        "residence,unit_reference,tenant_reference,holder_names,start_date\n"
        "Les Minimes,A-9,LOC-900,Zoé Lefèvre,2021-02-03\n"
    )
    body = _upload(world, text, encoding="cp1252").json()
    assert [r["tenant_reference"] for r in body["created"]] == ["LOC-900"]
    assert Tenancy.objects.get(tenant_reference="LOC-900").holder_names == "Zoé Lefèvre"


def test_a_file_without_the_required_columns_is_refused(world):
    response = _upload(world, "name,flat\nx,y\n")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_csv"
    assert "residence" in response.json()["message"]


def test_a_missing_file_is_a_field_error(world):
    response = client_for(world.staff_a.user).post(
        "/api/v1/tenancies/import/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_blank_lines_keep_line_numbers_true_and_overlong_fields_are_rejected(world):
    text = (
        "residence;unit_reference;tenant_reference;holder_names;start_date\n"
        "\n"
        f"Les Minimes;{'U' * 60};LOC-300;Léa Moreau;2023-04-01\n"
        "Les Minimes;A-1;LOC-301;Léa Moreau;2023-04-01\n"
    )
    body = _upload(world, text).json()
    assert [(r["line"], r["reason"]) for r in body["rejected"]] == [
        (3, "Trop long : unit_reference.")
    ]
    assert [r["line"] for r in body["created"]] == [4]


def test_a_file_with_nul_bytes_is_refused_and_creates_nothing(world):
    response = _upload(world, "residence;unit_reference\nLes\x00;A\n")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_csv"


def test_an_oversized_field_is_reported_not_a_500(world):
    text = "residence;unit_reference;tenant_reference;holder_names;start_date\n" + (
        'Les Minimes;A-1;LOC-400;"' + "x" * 140_000 + '";2023-04-01\n'
    )
    response = _upload(world, text)
    assert response.status_code == 200
    assert response.json()["created"] == []
    assert len(response.json()["rejected"]) == 1
