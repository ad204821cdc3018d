"""The export (issue 14 §4): every row of a rich tenant, none of anyone else's; inline when
small, else a background file behind a link for its owner only, until it expires."""

import base64
import datetime
import json

import pytest
import time_machine
from django.apps import apps

from services.privacy import export
from services.privacy.models import ExportRequest
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _rows(document, section) -> list:
    value = document[section.key]
    if section.many:
        return value
    return [] if value is None else [value]


def test_the_export_holds_every_row_of_the_tenant_and_none_of_another(person, neighbour):
    document = export.export_build(user=person.tenant.user)

    assert (document["format"], document["version"]) == (export.FORMAT, export.VERSION)
    for section in export.SECTIONS:
        if not section.installed:
            continue
        model = apps.get_model(section.model)
        mine = model.objects.filter(**{section.owner: person.tenant.user.pk})
        rows = _rows(document, section)
        assert len(rows) == mine.count() > 0, section.key  # the rich tenant has every kind
        if hasattr(model, "public_id") and rows and "id" in rows[0]:
            assert {r["id"] for r in rows} == {
                str(p) for p in mine.values_list("public_id", flat=True)
            }
    text = json.dumps(document, ensure_ascii=False)
    for word in neighbour.words():
        assert word not in text
    for section in export.SECTIONS:  # no public id of the neighbour's rows either
        if not section.installed:
            continue
        model = apps.get_model(section.model)
        if hasattr(model, "public_id"):
            for public_id in model.objects.filter(
                **{section.owner: neighbour.tenant.user.pk}
            ).values_list("public_id", flat=True):
                assert str(public_id) not in text, section.key


def test_the_export_names_no_other_person(person):
    document = export.export_build(user=person.tenant.user)
    text = json.dumps(document, ensure_ascii=False)
    view = document["profile_views"][0]
    assert view["company"] and set(view) == {"match", "company", "what", "at"}
    from services.accounts.models import User

    for other in User.objects.exclude(pk=person.tenant.user.pk):
        assert other.email not in text
        assert str(other.public_id) not in text
        if other.last_name:
            assert other.last_name not in text
    # The employer's working note about an interview is not the tenant's to read.
    assert document["matches"][0]["employer_message"] == ""


def test_the_cv_travels_inside_the_export(person):
    cv = export.export_build(user=person.tenant.user)["job_profile"]["cv"]
    assert person.cv_text.encode() in base64.b64decode(cv["base64"])


def test_a_small_export_is_answered_inline(person):
    response = client_for(person.tenant.user).get("/api/v1/me/export/")
    assert response.status_code == 200
    assert response.json()["account"]["email"] == person.email
    assert response["Cache-Control"] == "no-store"


def test_a_large_export_is_asked_for_then_downloaded(
    person, neighbour, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_EXPORT_INLINE_MAX_ROWS = 5
    client = client_for(person.tenant.user)
    assert client.get("/api/v1/me/export/").json()["code"] == "export_too_large"

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/api/v1/me/export/")
    assert asked.status_code == 202
    status = client.get(f"/api/v1/me/exports/{asked.json()['id']}/").json()
    assert status["status"] == "ready"  # the task ran (eagerly, in tests)
    download = client.get(status["download_url"])
    assert download.status_code == 200
    body = json.loads(b"".join(download.streaming_content))
    assert body["account"]["email"] == person.email
    assert "attachment" in download["Content-Disposition"]

    # Another tenant, even holding the link, gets nothing: not theirs (404).
    other = client_for(neighbour.tenant.user)
    assert other.get(status["download_url"]).status_code == 404
    assert other.get(f"/api/v1/me/exports/{asked.json()['id']}/").status_code == 404


def test_the_link_expires(person, django_capture_on_commit_callbacks):
    client = client_for(person.tenant.user)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/api/v1/me/export/").json()
    row = ExportRequest.objects.get(public_id=asked["id"])
    url = f"/api/v1/me/exports/{asked['id']}/download/"
    with time_machine.travel(row.expires_at - datetime.timedelta(seconds=1)):
        assert client_for(person.tenant.user).get(url).status_code == 200
    with time_machine.travel(row.expires_at):
        response = client_for(person.tenant.user).get(url)
        assert (response.status_code, response.json()["code"]) == (410, "export_expired")


def test_asking_twice_while_preparing_returns_the_same_export(person):
    from services.privacy.actions import export_request

    first = export_request(user=person.tenant.user)
    assert export_request(user=person.tenant.user).pk == first.pk  # its task not run yet
