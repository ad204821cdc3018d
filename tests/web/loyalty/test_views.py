"""Console loyalty pages: scoped to the staff's landlord, every write through the loyalty
actions, forms that keep what was typed and show the domain's refusal beside the field."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from services.loyalty import actions
from services.loyalty.models import Entry, Redemption, Reward, VoucherCode
from tests.factories import TenantFactory
from tests.factories.loyalty import RewardFactory, give_points

pytestmark = pytest.mark.django_db


def _voucher(world, tenant=None, **reward_fields):
    tenant = tenant or world.tenant_a
    reward = RewardFactory(landlord=world.landlord_a, **reward_fields)
    give_points(tenant, reward.cost_points)
    return actions.reward_redeem(tenant=tenant, reward=reward)


def _reward_form(**overrides):
    data = {
        "title": "Entrée piscine municipale",
        "description": "Une entrée adulte.",
        "category": "sport",
        "kind": "generated_code",
        "partner_name": "Piscine Lucien-Maylin",
        "partner_address": "",
        "image_url": "",
        "cost_points": "120",
        "credit_cents": "",
        "stock": "40",
        "limit_per_tenant": "2",
        "available_from": "2027-01-10T09:00",
        "available_until": "2027-01-01T09:00",  # before the start: the domain refuses
        "validity_days": "60",
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- Roles and scoping ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tenant", "employer", "advisor"])
def test_other_roles_are_refused_every_loyalty_page(world, console, web_client, who):
    reward = RewardFactory(landlord=world.landlord_a)
    user = {
        "tenant": world.tenant_a.user,
        "employer": world.employer_member.user,
        "advisor": console.advisor_a.user,
    }[who]
    client = web_client(user)
    for url in (
        "/console/loyalty/",
        f"/console/loyalty/rewards/{reward.public_id}/",
        f"/console/loyalty/tenants/{world.tenant_a.public_id}/",
        "/console/loyalty/counter/",
        "/console/loyalty/redemptions/",
        "/console/loyalty/reports/",
        "/console/loyalty/reports/points.csv",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/console/loyalty/counter/", {"code": "X"}).status_code == 403


def test_another_landlords_reward_and_tenant_are_404(world, console, web_client):
    reward = RewardFactory(landlord=world.landlord_a, kind=Reward.Kind.POOL_CODE, stock=0)
    client = web_client(console.admin_b.user)
    assert client.get(f"/console/loyalty/rewards/{reward.public_id}/").status_code == 404
    assert client.get(f"/console/loyalty/rewards/{reward.public_id}/edit/").status_code == 404
    upload = SimpleUploadedFile("codes.csv", b"AAA111\nBBB222\n", content_type="text/csv")
    response = client.post(f"/console/loyalty/rewards/{reward.public_id}/codes/", {"file": upload})
    assert response.status_code == 404
    assert not VoucherCode.objects.exists()
    url = f"/console/loyalty/tenants/{world.tenant_a.public_id}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"points": "500", "reason": "cadeau"}).status_code == 404
    assert not Entry.objects.exists()
    assert reward.title not in client.get("/console/loyalty/rewards/").content.decode()


def test_another_landlords_voucher_is_unknown_at_the_counter(world, console, web_client):
    voucher = _voucher(world)
    client = web_client(console.admin_b.user)
    html = client.get(f"/console/loyalty/counter/?code={voucher.code}").content.decode()
    assert voucher.reward.title not in html
    assert 'id="id_code_error"' in html
    client.post("/console/loyalty/counter/", {"code": voucher.code})
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.ISSUED


# --- Catalogue -------------------------------------------------------------------------------


def test_a_reward_window_the_wrong_way_round_is_refused_beside_the_field(
    world, console, web_client
):
    client = web_client(console.community_a.user)
    response = client.post("/console/loyalty/rewards/new/", _reward_form())
    html = response.content.decode()
    assert response.status_code == 200
    assert not Reward.objects.exists()
    assert 'id="id_available_until_error"' in html
    assert "Piscine Lucien-Maylin" in html and 'value="120"' in html
    response = client.post(
        "/console/loyalty/rewards/new/", _reward_form(available_until="2027-03-01T09:00")
    )
    reward = Reward.objects.get()
    assert response.status_code == 302
    assert (reward.landlord, reward.stock, reward.limit_per_tenant) == (world.landlord_a, 40, 2)


def test_editing_a_reward_keeps_its_kind(world, console, web_client):
    reward = RewardFactory(landlord=world.landlord_a, kind=Reward.Kind.GENERATED_CODE)
    client = web_client(console.admin_a.user)
    data = _reward_form(kind="pool_code", available_until="", title="Cinéma")
    response = client.post(f"/console/loyalty/rewards/{reward.public_id}/edit/", data)
    assert response.status_code == 302
    reward.refresh_from_db()
    assert reward.title == "Cinéma"
    assert reward.kind == Reward.Kind.GENERATED_CODE


def test_pool_codes_upload_from_csv_skips_duplicates(world, console, web_client):
    reward = RewardFactory(landlord=world.landlord_a, kind=Reward.Kind.POOL_CODE, stock=0)
    client = web_client(console.admin_a.user)
    url = f"/console/loyalty/rewards/{reward.public_id}/codes/"
    upload = SimpleUploadedFile("codes.csv", b"\xef\xbb\xbfAAA111\nBBB222\nAAA111\n")
    html = client.post(url, {"file": upload}).content.decode()
    assert VoucherCode.objects.filter(reward=reward).count() == 2
    reward.refresh_from_db()
    assert reward.stock == 2
    assert "2" in html
    bad = SimpleUploadedFile("codes.csv", b"\xff\xfe\x00bad")
    response = client.post(url, {"file": bad})
    assert response.status_code == 200
    assert 'id="id_file_error"' in response.content.decode()


# --- Grants ----------------------------------------------------------------------------------


def test_a_grant_needs_a_reason_and_then_credits_the_tenant(world, console, web_client):
    client = web_client(console.community_a.user)
    url = f"/console/loyalty/tenants/{world.tenant_a.public_id}/"
    response = client.post(url, {"points": "30", "reason": "   "})
    assert response.status_code == 200
    assert 'id="id_reason_error"' in response.content.decode()
    assert 'value="30"' in response.content.decode()
    client.post(url, {"points": "30", "reason": "Aide au déménagement d'une voisine"})
    entry = Entry.objects.get()
    assert (entry.points, entry.note) == (30, "Aide au déménagement d'une voisine")
    assert entry.account.tenant == world.tenant_a
    assert 'id="balance">30<' in client.get(url).content.decode()


def test_taking_back_more_points_than_the_tenant_has_is_refused(world, console, web_client):
    give_points(world.tenant_a, 10)
    client = web_client(console.admin_a.user)
    url = f"/console/loyalty/tenants/{world.tenant_a.public_id}/"
    response = client.post(url, {"points": "-50", "reason": "erreur"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert Entry.objects.count() == 1


# --- The counter -----------------------------------------------------------------------------


def test_counter_validates_once_and_refuses_the_second_time_with_the_first_time(
    world, console, web_client
):
    voucher = _voucher(world, title="Place de cinéma CGR")
    client = web_client(console.admin_a.user)
    looked = client.get(f"/console/loyalty/counter/?code={voucher.code.lower()}").content.decode()
    assert "Place de cinéma CGR" in looked
    assert "loy-verdict--ok" in looked
    first = client.post("/console/loyalty/counter/", {"code": voucher.code}).content.decode()
    assert "loy-verdict--done" in first
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.USED
    second = client.post("/console/loyalty/counter/", {"code": voucher.code})
    html = second.content.decode()
    assert second.status_code == 200
    assert "loy-verdict--refused" in html
    assert 'role="alert"' in html
    from django.utils import formats, timezone

    assert formats.date_format(timezone.localtime(voucher.used_at), "SHORT_DATETIME_FORMAT") in html


def test_counter_says_an_unknown_code_beside_the_field(world, console, web_client):
    html = (
        web_client(console.admin_a.user).get("/console/loyalty/counter/?code=ZZZ").content.decode()
    )
    assert 'id="id_code_error"' in html
    assert 'value="ZZZ"' in html


# --- Reports ---------------------------------------------------------------------------------


def test_reports_show_the_chart_and_the_csv_exports_neutralise_formulas(world, console, web_client):
    _voucher(world, title="=HYPERLINK(1)", cost_points=70)
    client = web_client(console.admin_a.user)
    html = client.get("/console/loyalty/reports/").content.decode()
    assert "<svg" in html
    assert '<td class="number">70</td>' in html
    points = client.get("/console/loyalty/reports/points.csv")
    assert points["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(points.content.decode())))
    assert rows[0] == ["month", "issued", "spent", "expired", "reversed", "adjusted_down"]
    assert rows[-1][1:3] == ["70", "70"]
    rewards = list(
        csv.reader(io.StringIO(client.get("/console/loyalty/reports/rewards.csv").content.decode()))
    )
    assert rewards[1][1] == "'=HYPERLINK(1)"


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
def test_reward_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        RewardFactory(landlord=world.landlord_a)
    client = web_client(console.admin_a.user)
    client.get("/console/loyalty/rewards/")
    with django_assert_num_queries(QUERIES["rewards"]):
        assert client.get("/console/loyalty/rewards/").status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_redemption_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        _voucher(world, tenant=TenantFactory(residence=world.residence_a))
    client = web_client(console.admin_a.user)
    client.get("/console/loyalty/redemptions/")
    with django_assert_num_queries(QUERIES["redemptions"]):
        assert client.get("/console/loyalty/redemptions/").status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_tenant_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        give_points(TenantFactory(residence=world.residence_a), 5)
    client = web_client(console.admin_a.user)
    client.get("/console/loyalty/tenants/")
    with django_assert_num_queries(QUERIES["tenants"]):
        assert client.get("/console/loyalty/tenants/").status_code == 200


# Session and user, the COUNT, one page of rows.
QUERIES = {"rewards": 5, "redemptions": 5, "tenants": 5}
