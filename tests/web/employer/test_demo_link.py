"""seed_demo prints a sign-in link for a demo employer member, and the link works."""

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from demo import notifications as demo
from tests.factories import EmployerMemberFactory

pytestmark = pytest.mark.django_db


def test_the_printed_demo_link_signs_the_member_in():
    EmployerMemberFactory(user__email=f"dominique.demo@{demo.DEMO_DOMAIN}")
    out = io.StringIO()
    demo._print_employer_link(out)

    url = out.getvalue().split("\n")[1].strip()
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/espace/lien/"
    client = Client()
    response = client.post("/espace/lien/", {"sesame": query["sesame"][0], "next": "/espace/"})
    assert response.status_code == 302
    assert client.get("/espace/").status_code == 200
