import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from services.jobs.models import JobConsent, JobProfile, ProfileRome, ProfileSkill
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PROFILE = {
    "search_status": "active",
    "wished_appellations": ["38346"],
    "wished_rome_codes": ["K2204"],
    "skills": ["Vitrerie", "Autolaveuse", "vitrerie"],
    "experiences": [{"rome_code": "K2204", "years": 3}],
    "education_level": "cap_bep",
    "languages": ["fr", "ar"],
    "has_driving_licence": True,
    "travel_mode": "bike",
    "travel_value": 30,
    "available_from": "2026-12-01",
    "hours_per_week": 30,
    "available_days": ["mon", "tue"],
    "contract_types": ["cdi", "iae"],
    "disability_recognition": True,
}


def test_get_creates_an_empty_profile_without_consent(world):
    response = client_for(world.tenant_a.user).get("/api/v1/jobs/profile/")
    assert response.status_code == 200
    body = response.json()
    assert body["search_status"] == "open"
    assert body["consents"] == {
        "matching": {"granted": False, "version": None, "at": None},
        "introduction": {"granted": False, "version": None, "at": None},
    }
    assert body["cv"] is None
    profile = JobProfile.objects.get(tenant=world.tenant_a)
    assert profile.is_qpv is True  # Les Minimes is a QPV residence
    assert profile.matching_consent is False


def test_put_stores_rome_rows_skills_and_a_travel_distance(world):
    from services.jobs.models import RomeAppellation

    appellation = RomeAppellation.objects.select_related("rome").get(code="38346")
    response = client_for(world.tenant_a.user).put("/api/v1/jobs/profile/", PROFILE, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["max_distance_km"] == 6.5  # 30 min by bike
    assert body["contract_types"] == ["cdi", "iae"]
    assert body["skills"] == ["Vitrerie", "Autolaveuse", "vitrerie"]
    profile = JobProfile.objects.get(tenant=world.tenant_a)
    rows = {
        r.rome_code: (r.wished, r.experience_years)
        for r in ProfileRome.objects.filter(profile=profile)
    }
    assert rows["K2204"] == (True, 3)
    assert rows[appellation.rome.code][0] is True
    assert sorted(ProfileSkill.objects.filter(profile=profile).values_list("skill", flat=True)) == [
        "autolaveuse",
        "vitrerie",
    ]
    assert profile.completed_at is None  # no matching consent yet


def test_put_refuses_an_unknown_rome_code_without_writing(world):
    body = {**PROFILE, "wished_rome_codes": ["Z9999"], "wished_appellations": []}
    response = client_for(world.tenant_a.user).put("/api/v1/jobs/profile/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_rome_code"
    assert not ProfileRome.objects.exists()


def test_consents_are_dated_versioned_and_withdrawable(world):
    with time_machine.travel(
        datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC), tick=False
    ):
        response = client_for(world.tenant_a.user).post(
            "/api/v1/jobs/profile/consents/",
            {"purpose": "matching", "granted": True},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["consents"]["matching"] == {
        "granted": True,
        "version": "2024-09",
        "at": "2026-11-02T11:00:00+01:00",
    }
    client_for(world.tenant_a.user).post(
        "/api/v1/jobs/profile/consents/", {"purpose": "matching", "granted": False}, format="json"
    )
    profile = JobProfile.objects.get(tenant=world.tenant_a)
    assert profile.matching_consent is False
    assert list(
        JobConsent.objects.filter(profile=profile).order_by("id").values_list("granted", flat=True)
    ) == [True, False]


def test_profile_is_completed_once_with_consent(world):
    client = client_for(world.tenant_a.user)
    client.put("/api/v1/jobs/profile/", PROFILE, format="json")
    client.post(
        "/api/v1/jobs/profile/consents/", {"purpose": "matching", "granted": True}, format="json"
    )
    assert client.get("/api/v1/jobs/profile/").json()["completed"] is True
    client.put("/api/v1/jobs/profile/", PROFILE, format="json")
    from services.loyalty.models import Entry

    assert list(Entry.objects.values_list("reason", flat=True)) == ["job_profile_completed"]


def test_cv_upload_accepts_a_pdf_and_serves_it_to_the_tenant(world):
    client = client_for(world.tenant_a.user)
    upload = SimpleUploadedFile("mon-cv.pdf", PDF, content_type="application/pdf")
    response = client.post("/api/v1/jobs/profile/cv/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["cv"]["name"] == "mon-cv.pdf"
    download = client.get("/api/v1/jobs/profile/cv/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    assert client.delete("/api/v1/jobs/profile/cv/").status_code == 204
    assert client.get("/api/v1/jobs/profile/cv/").status_code == 404


def test_cv_upload_sniffs_the_content_not_the_name(world):
    client = client_for(world.tenant_a.user)
    fake = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post("/api/v1/jobs/profile/cv/", {"file": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "cv_not_pdf"
    assert not JobProfile.objects.filter(tenant=world.tenant_a).exclude(cv="").exists()


def test_cv_upload_refuses_more_than_5_mb(world):
    client = client_for(world.tenant_a.user)
    big = SimpleUploadedFile(
        "cv.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf"
    )
    response = client.post("/api/v1/jobs/profile/cv/", {"file": big}, format="multipart")
    assert (response.status_code, response.json()["code"]) == (400, "cv_too_large")
    assert not JobProfile.objects.filter(tenant=world.tenant_a).exclude(cv="").exists()


def test_rome_search_endpoint(world):
    response = client_for(world.employer_member.user).get("/api/v1/jobs/rome/", {"q": "menage"})
    assert response.status_code == 200
    assert response.json()
    assert all("kind" in r and "rome_code" in r for r in response.json())
