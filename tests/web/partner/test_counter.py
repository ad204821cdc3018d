"""The partners' counter: who opens what under /partenaire/, validating once, the scope,
the magic link, the history and its CSV."""

import csv
import io

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from sesame.utils import get_query_string

from notifications.email import MAGIC_LINK_SCOPE
from services.loyalty.models import Redemption, Reward
from tests.conftest import tamper
from tests.web.conftest import web_client_for

from .conftest import signed_in, token_of

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "member", "staff", "tenant", "employer"]
# Every /partenaire/ route and what each visitor gets (GET).
EXPECTED = {
    "": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403, "employer": 403},
    "historique/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403, "employer": 403},
    "historique.csv": {
        "anonymous": 302,
        "member": 200,
        "staff": 403,
        "tenant": 403,
        "employer": 403,
    },
    "lien/": dict.fromkeys(WHO, 200),
    "lien/nouveau/": dict.fromkeys(WHO, 200),
    "deconnexion/": dict.fromkeys(WHO, 405),
}


def _partner_routes() -> set[str]:
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == "partenaire/":
            return {str(p.pattern) for p in pattern.url_patterns if isinstance(p, URLPattern)}
    raise AssertionError("/partenaire/ is not mounted")


def test_every_partner_route_has_an_expectation():
    assert _partner_routes() == set(EXPECTED)


@pytest.mark.parametrize("route", sorted(EXPECTED))
@pytest.mark.parametrize("who", WHO)
def test_partner_route_answers_each_visitor(world, route, who):
    clients = {
        "anonymous": lambda: Client(),
        "member": lambda: signed_in(world.member),
        "staff": lambda: web_client_for(world.staff),
        "tenant": lambda: web_client_for(world.tenant.user),
        "employer": lambda: web_client_for(world.employer_member),
    }
    assert clients[who]().get("/partenaire/" + route).status_code == EXPECTED[route][who]


def test_a_member_validates_once_and_the_second_try_shows_the_first_time(world):
    client = signed_in(world.member)
    page = client.get("/partenaire/", {"code": world.voucher.code.lower()}).content.decode()
    assert "Place de cinéma" in page and 'class="loy-validate"' in page

    first = client.post("/partenaire/", {"code": world.voucher.code}).content.decode()
    world.voucher.refresh_from_db()
    assert world.voucher.status == Redemption.Status.USED
    assert world.voucher.validated_by == world.member
    assert "loy-verdict--done" in first

    second = client.post("/partenaire/", {"code": world.voucher.code}).content.decode()
    assert "loy-verdict--refused" in second and 'role="alert"' in second
    assert 'class="loy-validate"' not in second
    first_time = timezone.localtime(world.voucher.used_at)
    assert first_time.strftime("%H:%M") in second and first_time.strftime("%Y") in second


@pytest.mark.parametrize("which", ["other_voucher", "foreign_voucher"])
def test_another_partners_or_landlords_voucher_is_an_unknown_code(world, which):
    client = signed_in(world.member)
    unknown = client.post("/partenaire/", {"code": "ZZZZZZZZZZ"}).content.decode()
    voucher = getattr(world, which)
    for response in (
        client.get("/partenaire/", {"code": voucher.code}),
        client.post("/partenaire/", {"code": voucher.code}),
    ):
        text = response.content.decode()
        assert response.status_code == 200
        assert voucher.reward.title not in text
        assert text.replace(voucher.code, "ZZZZZZZZZZ").count("loy-verdict") == unknown.count(
            "loy-verdict"
        )
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.ISSUED


def test_a_get_of_the_sign_in_link_changes_nothing(world):
    sessions = Session.objects.count()
    client = Client()
    response = client.get(f"/partenaire/lien/?sesame={token_of(world.member)}&next=/partenaire/")
    assert response.status_code == 200 and 'name="sesame"' in response.content.decode()
    assert Session.objects.count() == sessions
    assert "_auth_user_id" not in client.session
    assert client.get("/partenaire/").status_code == 302


def test_an_altered_or_employer_scoped_link_does_not_sign_in(world):
    employer_scoped = get_query_string(world.member, scope=MAGIC_LINK_SCOPE).split("sesame=")[1]
    for token in (tamper(token_of(world.member)), employer_scoped, token_of(world.staff)):
        response = Client().post("/partenaire/lien/", {"sesame": token})
        assert response.status_code == 400


def test_next_stays_on_the_partner_pages(world):
    client = Client()
    response = client.post(
        "/partenaire/lien/", {"sesame": token_of(world.member), "next": "//evil.example/"}
    )
    assert response["Location"] == "/partenaire/"


def test_history_and_monthly_csv_neutralise_formulas(world):
    Reward.objects.filter(pk=world.voucher.reward_id).update(title='=HYPERLINK("x")')
    client = signed_in(world.member)
    client.post("/partenaire/", {"code": world.voucher.code})
    assert world.voucher.code in client.get("/partenaire/historique/").content.decode()
    response = client.get("/partenaire/historique.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["validated_at", "code", "reward", "validated_by"]
    assert rows[1][1:] == [world.voucher.code, '\'=HYPERLINK("x")', "caisse@dragon.example"]
    assert (
        len(
            list(
                csv.reader(
                    io.StringIO(
                        client.get("/partenaire/historique.csv?month=2001-01").content.decode()
                    )
                )
            )
        )
        == 1
    )
    # Absurd months fall back to this month, never a 500.
    for month in ("x", "2026-13", "99999-1", "-1--1"):
        assert client.get(f"/partenaire/historique.csv?month={month}").status_code == 200
    # The other partner's member sees none of it.
    other = signed_in(world.other_member)
    assert world.voucher.code not in other.get("/partenaire/historique/").content.decode()
    assert world.voucher.code not in other.get("/partenaire/historique.csv").content.decode()


def test_a_link_request_answers_the_same_and_is_rate_limited(world):
    client = Client()
    known = client.post("/partenaire/lien/nouveau/", {"email": "caisse@dragon.example"})
    unknown = client.post("/partenaire/lien/nouveau/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert "link_sent" not in known.content.decode()
    for _i in range(6):
        last = client.post("/partenaire/lien/nouveau/", {"email": "caisse@dragon.example"})
    assert "Too many requests" in last.content.decode() or "Trop de" in last.content.decode()


@pytest.mark.parametrize(
    "code", ["", " ", "x" * 65, "A\x00B", "' OR 1=1 --", "=HYPERLINK(1)", "é" * 64, "%00"]
)
def test_absurd_codes_get_the_form_never_a_500(world, code):
    client = signed_in(world.member)
    for response in (
        client.get("/partenaire/", {"code": code}),
        client.post("/partenaire/", {"code": code}),
    ):
        assert response.status_code == 200
    assert Redemption.objects.filter(status="used").count() == 0


def test_absurd_sign_in_tokens_and_next_paths_get_a_page_never_a_500(world):
    for token in ("", "x", "A" * 5000, "\x00", "../../etc"):
        response = Client().post("/partenaire/lien/", {"sesame": token, "next": "/\\evil"})
        assert response.status_code in (200, 400)
        assert Client().get("/partenaire/lien/", {"sesame": token}).status_code == 200
