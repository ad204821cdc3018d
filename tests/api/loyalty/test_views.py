"""The loyalty API: shapes, error codes, idempotent redeem, CSV, pinned query counts."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from services.loyalty import actions
from services.loyalty.models import Account, Entry, Redemption, Reward, VoucherCode
from tests.conftest import client_for
from tests.factories import TenantFactory
from tests.factories.loyalty import RewardFactory, give_points

T0 = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_account_shows_balance_pending_and_expiring(world, frozen):
    give_points(world.tenant_a, 40)
    frozen.move_to(T0 + datetime.timedelta(days=700))
    body = client_for(world.tenant_a.user).get("/api/v1/loyalty/account/").json()
    assert body["balance"] == 40
    assert body["pending"] == 0
    assert body["expiring"] == [{"points": 40, "expires_at": "2028-03-10T10:00:00+01:00"}]


def test_account_without_any_points_is_zero(world):
    body = client_for(world.tenant_a.user).get("/api/v1/loyalty/account/").json()
    assert body == {"id": None, "balance": 0, "pending": 0, "expiring": []}


def test_staff_see_their_tenants_balances(world):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 10)
    give_points(world.tenant_b, 99)
    client = client_for(world.staff_a.user)
    body = client.get("/api/v1/loyalty/accounts/").json()["results"]
    assert sorted((a["tenant"], a["balance"], a["pending"]) for a in body) == sorted(
        [(str(world.tenant_a.public_id), 40, 0), (str(world.tenant_a2.public_id), 10, 0)]
    )
    one = client.get(f"/api/v1/loyalty/accounts/?tenant={world.tenant_a.public_id}").json()
    assert [a["tenant_name"] for a in one["results"]] == [world.tenant_a.user.full_name]


def test_entries_list_the_ledger_with_translated_labels(world):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 10)
    client = client_for(world.tenant_a.user)
    body = client.get("/api/v1/loyalty/entries/").json()
    assert [(e["kind"], e["points"], e["reason"], e["label"]) for e in body["results"]] == [
        ("earn", 40, "volunteer_attendance", "Participation bénévole")
    ]
    english = client.get("/api/v1/loyalty/entries/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["label"] == "Volunteer attendance"


def test_staff_filter_entries_by_tenant(world):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 10)
    client = client_for(world.staff_a.user)
    body = client.get(f"/api/v1/loyalty/entries/?tenant={world.tenant_a2.public_id}").json()
    assert [e["points"] for e in body["results"]] == [10]
    assert client.get("/api/v1/loyalty/entries/?tenant=nope").status_code == 400
    assert client_for(world.staff_b.user).get("/api/v1/loyalty/entries/").json()["results"] == []


def test_rewards_show_affordable_to_tenants_only(world):
    cheap = RewardFactory(landlord=world.landlord_a, cost_points=30)
    RewardFactory(landlord=world.landlord_a, cost_points=300)
    RewardFactory(landlord=world.landlord_a, cost_points=10, is_active=False)
    RewardFactory(landlord=world.landlord_b, cost_points=10)
    give_points(world.tenant_a, 40)
    body = client_for(world.tenant_a.user).get("/api/v1/loyalty/rewards/").json()
    assert sorted((r["cost_points"], r["affordable"]) for r in body["results"]) == [
        (30, True),
        (300, False),
    ]
    staff = client_for(world.staff_a.user).get("/api/v1/loyalty/rewards/").json()
    assert sorted((r["cost_points"], r["affordable"]) for r in staff["results"]) == [
        (10, None),
        (30, None),
        (300, None),
    ]
    detail = client_for(world.tenant_a.user).get(f"/api/v1/loyalty/rewards/{cheap.public_id}/")
    assert detail.json()["affordable"] is True


def test_staff_create_and_patch_a_reward(world):
    client = client_for(world.staff_a.user)
    response = client.post(
        "/api/v1/loyalty/rewards/",
        {
            "title": "Avoir de 15 € sur les charges",
            "kind": "charges_credit",
            "cost_points": 600,
            "credit_cents": 1500,
            "category": "home",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    reward_id = response.json()["id"]
    assert response.json()["credit_cents"] == 1500
    patched = client.patch(
        f"/api/v1/loyalty/rewards/{reward_id}/", {"stock": 4, "is_active": False}, format="json"
    )
    assert (patched.json()["stock"], patched.json()["is_active"]) == (4, False)
    bad = client.post(
        "/api/v1/loyalty/rewards/",
        {"title": "Sans montant", "kind": "charges_credit", "cost_points": 600},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_reward"
    assert "credit_cents" in bad.json()["fields"]


def test_redeem_answers_201_with_the_code_and_replays_with_the_same_key(world):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=30, stock=5)
    give_points(world.tenant_a, 100)
    client = client_for(world.tenant_a.user)
    url = f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="abc")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["status"] == "issued"
    assert len(first.json()["code"]) == 10
    assert first.json()["reward"]["id"] == str(reward.public_id)
    assert Redemption.objects.count() == 1
    assert Account.objects.get(tenant=world.tenant_a).balance == 70


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"cost_points": 500}, "insufficient_points"),
        ({"stock": 0}, "out_of_stock"),
        ({"is_active": False}, "not_available"),
        ({"limit_per_tenant": 1, "_twice": True}, "limit_reached"),
    ],
)
def test_redeem_conflicts_have_their_code(world, setup, code):
    twice = setup.pop("_twice", False)
    reward = RewardFactory(landlord=world.landlord_a, **{"cost_points": 30, **setup})
    give_points(world.tenant_a, 100)
    client = client_for(world.tenant_a.user)
    url = f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/"
    if twice:
        assert client.post(url).status_code == 201
    response = client.post(url)
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert set(response.json()) >= {"code", "message", "fields"}


def test_cancel_and_validate_through_the_api(world):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=30, stock=5)
    give_points(world.tenant_a, 100)
    tenant = client_for(world.tenant_a.user)
    staff = client_for(world.staff_a.user)
    one = tenant.post(f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/").json()
    two = tenant.post(f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/").json()
    cancelled = tenant.post(f"/api/v1/loyalty/redemptions/{one['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert Account.objects.get(tenant=world.tenant_a).balance == 70
    used = staff.post("/api/v1/loyalty/redemptions/validate/", {"code": two["code"]}, format="json")
    assert used.json()["status"] == "used"
    again = staff.post(
        "/api/v1/loyalty/redemptions/validate/", {"code": two["code"]}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_used")
    unknown = staff.post("/api/v1/loyalty/redemptions/validate/", {"code": "X"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_code")
    late = tenant.post(f"/api/v1/loyalty/redemptions/{two['id']}/cancel/")
    assert (late.status_code, late.json()["code"]) == (409, "not_cancellable")


def test_grant_through_the_api(world):
    give_points(world.tenant_a, 10)
    staff = client_for(world.staff_a.user)
    response = staff.post(
        "/api/v1/loyalty/grants/",
        {"tenant": str(world.tenant_a.public_id), "points": 25, "reason": "Jardin partagé"},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["points"]) == ("adjust", 25)
    assert response.json()["note"] == "Jardin partagé"
    down = staff.post(
        "/api/v1/loyalty/grants/",
        {"tenant": str(world.tenant_a.user.public_id), "points": -100, "reason": "Erreur"},
        format="json",
    )
    assert (down.status_code, down.json()["code"]) == (409, "insufficient_points")
    other = staff.post(
        "/api/v1/loyalty/grants/",
        {"tenant": str(world.tenant_b.public_id), "points": 5, "reason": "x"},
        format="json",
    )
    assert (other.status_code, other.json()["code"]) == (400, "unknown_tenant")
    assert Account.objects.get(tenant=world.tenant_a).balance == 35


def test_code_pool_upload_as_a_file(world):
    reward = actions.reward_create(
        actor=world.staff_a.user,
        landlord=world.landlord_a,
        title="Baguette",
        kind="pool_code",
        cost_points=20,
    )
    upload = SimpleUploadedFile("codes.csv", b"PAIN-001\nPAIN-002\nPAIN-001\n", "text/csv")
    response = client_for(world.staff_a.user).post(
        f"/api/v1/loyalty/rewards/{reward.public_id}/codes/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"added": 2, "duplicates": 1, "invalid": [], "stock": 2}


def test_earning_rules_create_and_patch(world):
    staff = client_for(world.staff_a.user)
    created = staff.post(
        "/api/v1/loyalty/earning-rules/",
        {"code": "volunteer_attendance", "points": 15, "cap_points": 60, "cap_period": "month"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["label"] == "Participation bénévole"
    patched = staff.patch(
        f"/api/v1/loyalty/earning-rules/{created.json()['id']}/",
        {"cap_points": None},
        format="json",
    )
    assert (patched.json()["cap_points"], patched.json()["cap_period"]) == (None, "")
    missing = staff.post(
        "/api/v1/loyalty/earning-rules/", {"code": "hire", "cap_points": 10}, format="json"
    )
    assert missing.json()["code"] == "cap_period_required"


def test_reports_and_csv_exports(world, frozen):
    reward = RewardFactory(
        landlord=world.landlord_a, cost_points=30, title="Vélo", validity_days=60
    )
    give_points(world.tenant_a, 100)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    frozen.move_to(T0 + datetime.timedelta(days=31))
    actions.redemption_cancel(actor=world.staff_a.user, redemption=redemption)
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    give_points(world.tenant_b, 999)  # another landlord: not counted
    staff = client_for(world.staff_a.user)
    body = staff.get("/api/v1/loyalty/reports/points/?since=2026-02&until=2026-04").json()
    assert body["months"] == [
        {
            "month": "2026-02",
            "issued": 0,
            "spent": 0,
            "expired": 0,
            "reversed": 0,
            "adjusted_down": 0,
        },
        {
            "month": "2026-03",
            "issued": 100,
            "spent": 30,
            "expired": 0,
            "reversed": 0,
            "adjusted_down": 0,
        },
        {
            "month": "2026-04",
            "issued": 0,
            "spent": 0,
            "expired": 0,
            "reversed": 0,
            "adjusted_down": 0,
        },
    ]
    # April: one spend of 30 and one refund of 30 → net 0.
    export = staff.get("/api/v1/loyalty/reports/points/export/?since=2026-03&until=2026-04")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == ["month", "issued", "spent", "expired", "reversed", "adjusted_down"]
    assert rows[1:] == [
        ["2026-03", "100", "30", "0", "0", "0"],
        ["2026-04", "0", "0", "0", "0", "0"],
    ]
    rewards = staff.get("/api/v1/loyalty/reports/rewards/").json()["rewards"]
    assert [(r["title"], r["issued"], r["cancelled"], r["points_spent"]) for r in rewards] == [
        ("Vélo", 1, 1, 30)
    ]
    csv_rewards = staff.get("/api/v1/loyalty/reports/rewards/export/").content.decode()
    assert csv_rewards.splitlines()[1].split(",")[1:4] == ["Vélo", "CGR Dragon", "30"]
    bad = staff.get("/api/v1/loyalty/reports/points/?since=2026-13")
    assert bad.status_code == 400


def _many(world, n):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=1, stock=None)
    for index in range(n):
        RewardFactory(landlord=world.landlord_a, cost_points=index + 2)
        tenant = world.tenant_a if index % 2 == 0 else TenantFactory(residence=world.residence_a)
        give_points(tenant, 5)
        actions.reward_redeem(tenant=tenant, reward=reward)
    actions.earning_rule_save(
        actor=world.staff_a.user, landlord=world.landlord_a, code="hire", points=100
    )
    if n > 1:
        actions.earning_rule_save(
            actor=world.staff_a.user, landlord=world.landlord_a, code="welcome_bonus", points=10
        )


LISTS = [
    ("tenant_a", "/api/v1/loyalty/entries/"),
    ("staff_a", "/api/v1/loyalty/entries/"),
    ("tenant_a", "/api/v1/loyalty/rewards/"),
    ("staff_a", "/api/v1/loyalty/rewards/"),
    ("tenant_a", "/api/v1/loyalty/redemptions/"),
    ("staff_a", "/api/v1/loyalty/redemptions/"),
    ("staff_a", "/api/v1/loyalty/earning-rules/"),
    ("staff_a", "/api/v1/loyalty/reports/rewards/"),
    ("staff_a", "/api/v1/loyalty/reports/points/"),
    ("tenant_a", "/api/v1/loyalty/account/"),
    ("staff_a", "/api/v1/loyalty/accounts/"),
]
# Auth (one query) and the list query; rewards and account add the tenant's balance/lots.
EXPECTED_QUERIES = {
    ("tenant_a", "/api/v1/loyalty/entries/"): 2,
    ("staff_a", "/api/v1/loyalty/entries/"): 2,
    ("tenant_a", "/api/v1/loyalty/rewards/"): 3,
    ("staff_a", "/api/v1/loyalty/rewards/"): 2,
    ("tenant_a", "/api/v1/loyalty/redemptions/"): 2,
    ("staff_a", "/api/v1/loyalty/redemptions/"): 2,
    ("staff_a", "/api/v1/loyalty/earning-rules/"): 2,
    ("staff_a", "/api/v1/loyalty/reports/rewards/"): 2,
    ("staff_a", "/api/v1/loyalty/reports/points/"): 2,
    ("tenant_a", "/api/v1/loyalty/account/"): 3,
    ("staff_a", "/api/v1/loyalty/accounts/"): 2,
}


@pytest.mark.parametrize("rows", [1, 8])
def test_list_query_counts_do_not_grow_with_rows(world, django_assert_num_queries, rows):
    _many(world, rows)
    for role, url in LISTS:
        client = client_for(world.users()[role])
        with django_assert_num_queries(EXPECTED_QUERIES[(role, url)], info=f"{role} {url}"):
            response = client.get(url)
        assert response.status_code == 200
        if "results" in response.json():
            assert len(response.json()["results"]) >= 1, url


def test_entries_are_append_only_in_the_api(world):
    give_points(world.tenant_a, 10)
    entry = Entry.objects.get()
    client = client_for(world.tenant_a.user)
    assert client.delete(f"/api/v1/loyalty/entries/{entry.public_id}/").status_code in (404, 405)


def test_lists_accept_updated_since(world, frozen):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10)
    give_points(world.tenant_a, 30)
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    frozen.move_to(T0 + datetime.timedelta(hours=1))
    give_points(world.tenant_a, 5)
    client = client_for(world.tenant_a.user)
    since = "2026-03-10T09:30:00Z"
    entries = client.get(f"/api/v1/loyalty/entries/?updated_since={since}").json()["results"]
    assert [e["points"] for e in entries] == [5]
    assert client.get(f"/api/v1/loyalty/redemptions/?updated_since={since}").json()["results"] == []
    # A reward with a stock is always sent again: its stock moves without a stamp.
    rewards = client.get(f"/api/v1/loyalty/rewards/?updated_since={since}").json()["results"]
    assert [r["id"] for r in rewards] == [str(reward.public_id)]
    unlimited = RewardFactory(landlord=world.landlord_a, stock=None)
    Reward.objects.filter(pk=unlimited.pk).update(updated_at=T0)
    rewards = client.get(f"/api/v1/loyalty/rewards/?updated_since={since}").json()["results"]
    assert [r["id"] for r in rewards] == [str(reward.public_id)]
    bad = client.get("/api/v1/loyalty/entries/?updated_since=yesterday")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_updated_since")


def test_refund_entry_points_to_the_spend_it_corrects(world):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10)
    give_points(world.tenant_a, 30)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)
    entries = client_for(world.tenant_a.user).get("/api/v1/loyalty/entries/").json()["results"]
    refund, spend = entries[0], entries[1]
    assert (refund["kind"], refund["points"], refund["label"]) == (
        "reverse",
        10,
        "Commande annulée",
    )
    assert refund["reverses"] == spend["id"]
    assert spend["reverses"] is None


def test_csv_export_neutralises_formulas(world):
    RewardFactory(landlord=world.landlord_a, title='=HYPERLINK("http://x")', cost_points=5)
    body = client_for(world.staff_a.user).get("/api/v1/loyalty/reports/rewards/export/")
    row = list(csv.reader(io.StringIO(body.content.decode())))[1]
    assert row[1] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12",
        "since=9999-12&until=9999-12",
        "until=0001-05",
        "since=0000-01&until=0000-02",
    ],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/loyalty/reports/points/", "/api/v1/loyalty/reports/points/export/"]
)
def test_reports_refuse_months_out_of_range_with_a_400(world, url, query):
    response = client_for(world.staff_a.user).get(f"{url}?{query}")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:00"])
@pytest.mark.parametrize("path", ["entries", "rewards", "redemptions"])
def test_updated_since_at_the_ends_of_time_is_a_400(world, path, value):
    response = client_for(world.tenant_a.user).get(f"/api/v1/loyalty/{path}/?updated_since={value}")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_updated_since")


def _upload(world, content: bytes):
    reward = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=0)
    upload = SimpleUploadedFile("codes.csv", content, "text/csv")
    return client_for(world.staff_a.user).post(
        f"/api/v1/loyalty/rewards/{reward.public_id}/codes/", {"file": upload}, format="multipart"
    )


def test_code_pool_upload_with_a_field_over_the_csv_limit_is_a_400(world):
    response = _upload(world, b"A" * 200_000 + b"\n")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_file")
    assert VoucherCode.objects.count() == 0


def test_code_pool_upload_never_stores_a_nul_byte(world):
    # PostgreSQL refuses NUL in text: stored, it would be a 500; it is reported as invalid.
    response = _upload(world, b"PAIN-001\nPAIN\x00-002\n")
    assert response.status_code == 201, response.content
    assert response.json()["invalid"] == ["PAIN\x00-002"]
    assert list(VoucherCode.objects.values_list("code", flat=True)) == ["PAIN-001"]


def test_control_characters_in_pool_codes_are_refused(world):
    reward = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=0)
    result = actions.voucher_codes_upload(
        actor=world.staff_a.user, reward=reward, codes=["OK-1", "BAD\x00", "BAD\x07"]
    )
    assert result == {"added": 1, "duplicates": 0, "invalid": ["BAD\x00", "BAD\x07"], "stock": 1}
    assert list(VoucherCode.objects.values_list("code", flat=True)) == ["OK-1"]


def test_reward_image_url_longer_than_the_column_is_a_400(world):
    staff = client_for(world.staff_a.user)
    url = "https://example.com/" + "a" * 200
    created = staff.post(
        "/api/v1/loyalty/rewards/",
        {"title": "Cinéma", "cost_points": 50, "image_url": url},
        format="json",
    )
    assert (created.status_code, list(created.json()["fields"])) == (400, ["image_url"])
    reward = RewardFactory(landlord=world.landlord_a)
    patched = staff.patch(
        f"/api/v1/loyalty/rewards/{reward.public_id}/", {"image_url": url}, format="json"
    )
    assert patched.status_code == 400
    reward.refresh_from_db()
    assert reward.image_url == ""


def test_code_pool_upload_without_codes_explains_in_french(world):
    reward = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=0)
    response = client_for(world.staff_a.user).post(
        f"/api/v1/loyalty/rewards/{reward.public_id}/codes/", {"codes": []}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"codes": ["Envoyez une liste de codes ou un fichier."]}


def test_a_large_code_file_keeps_every_code_once(world):
    # Speed is a bench matter; this pins the behaviour of the set-based duplicate check.
    reward = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=0)
    codes = [f"C{i:07d}" for i in range(5_000)] + ["C0000001"]
    result = actions.voucher_codes_upload(actor=world.staff_a.user, reward=reward, codes=codes)
    assert (result["added"], result["duplicates"], result["stock"]) == (5_000, 1, 5_000)


@pytest.mark.parametrize("value", ["+33 5 46 00 00 00", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_export_neutralises_every_formula_prefix_in_text_cells(world, value):
    RewardFactory(landlord=world.landlord_a, title=value, partner_name=value, cost_points=5)
    body = client_for(world.staff_a.user).get("/api/v1/loyalty/reports/rewards/export/")
    assert body["Content-Type"] == "text/csv; charset=utf-8"
    row = list(csv.reader(io.StringIO(body.content.decode(), newline="")))[1]
    assert (row[1], row[2], row[3]) == ("'" + value, "'" + value, "5")


def test_staff_see_a_reward_outside_its_window_as_not_available(world):
    day = datetime.timedelta(days=1)
    ended = RewardFactory(landlord=world.landlord_a, available_until=T0, cost_points=5)
    future = RewardFactory(landlord=world.landlord_a, available_from=T0 + day, cost_points=6)
    current = RewardFactory(
        landlord=world.landlord_a, available_from=T0, available_until=T0 + day, cost_points=7
    )
    sold_out = RewardFactory(landlord=world.landlord_a, stock=0, cost_points=8)
    body = client_for(world.staff_a.user).get("/api/v1/loyalty/rewards/").json()["results"]
    assert {r["id"]: r["available"] for r in body} == {
        str(ended.public_id): False,
        str(future.public_id): False,
        str(current.public_id): True,
        str(sold_out.public_id): False,
    }


def test_partner_codes_cannot_be_harvested_through_the_api(world):
    # Issue 10 §3: redeem, read the code, cancel, repeat; 5 of 5 codes for free.
    reward = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=0, cost_points=50)
    for n in range(5):
        VoucherCode.objects.create(reward=reward, code=f"PART-{n}")
    reward.stock = 5
    reward.save()
    give_points(world.tenant_a, 50)
    tenant = client_for(world.tenant_a.user)
    staff = client_for(world.staff_a.user)
    codes = []
    for _ in range(5):
        redeemed = tenant.post(f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/")
        if redeemed.status_code != 201:
            assert redeemed.json()["code"] == "insufficient_points"
            break
        codes.append(redeemed.json()["code"])
        refused = tenant.post(f"/api/v1/loyalty/redemptions/{redeemed.json()['id']}/cancel/")
        assert (refused.status_code, refused.json()["code"]) == (409, "code_revealed")
    assert codes == ["PART-0"]
    assert Account.objects.get(tenant=world.tenant_a).balance == 0
    url = f"/api/v1/loyalty/redemptions/{Redemption.objects.get().public_id}/cancel/"
    missing = staff.post(url, {}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (400, "reason_required")
    assert "reason" in missing.json()["fields"]
    done = staff.post(url, {"reason": "Code refusé par le partenaire"}, format="json")
    assert (done.status_code, done.json()["status"]) == (200, "cancelled")
    assert Account.objects.get(tenant=world.tenant_a).balance == 50
    assert Entry.objects.get(kind="reverse").note == "Code refusé par le partenaire"
    assert VoucherCode.objects.filter(assigned_at__isnull=True).count() == 4
