import datetime

import jwt
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from notifications.models import Notification
from services.accounts.tokens import issue_tokens
from tests.conftest import client_for
from tests.factories import TenantFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def _login(api_client, email, password):
    return api_client.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


def test_login_returns_a_token_pair_for_any_email_case(api_client):
    tenant = TenantFactory(user__email="camille@example.org")
    response = _login(api_client, "  Camille@Example.ORG ", PASSWORD)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    access = AccessToken(response.json()["access"])
    assert access["sub"] == str(tenant.user.public_id)
    assert access["exp"] - access["iat"] <= 600


def test_unknown_email_and_wrong_password_answer_alike(api_client):
    TenantFactory(user__email="camille@example.org")
    wrong = _login(api_client, "camille@example.org", "nope-nope-nope")
    unknown = _login(api_client, "nobody@example.org", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(
    api_client,
):
    TenantFactory(user__email="camille@example.org")
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        answers = [_login(api_client, "camille@example.org", "bad").status_code for _ in range(6)]
        assert answers == [400, 400, 400, 400, 400, 429]
        locked = _login(api_client, "camille@example.org", PASSWORD)
        assert locked.status_code == 429
        assert locked.json()["code"] == "login_locked"
        traveller.shift(datetime.timedelta(minutes=14, seconds=59))
        assert _login(api_client, "camille@example.org", PASSWORD).status_code == 429
        traveller.shift(datetime.timedelta(seconds=2))
        assert _login(api_client, "camille@example.org", PASSWORD).status_code == 200


def test_unknown_emails_are_locked_like_real_ones(api_client):
    answers = [_login(api_client, "ghost@example.org", "bad").status_code for _ in range(7)]
    assert answers == [400, 400, 400, 400, 400, 429, 429]


def test_a_very_long_email_is_a_clean_400(api_client):
    response = _login(api_client, "a" * 240 + "@b.fr", "bad")
    assert response.status_code == 400


def test_a_success_resets_the_failure_count(api_client):
    TenantFactory(user__email="camille@example.org")
    for _ in range(4):
        _login(api_client, "camille@example.org", "bad")
    assert _login(api_client, "camille@example.org", PASSWORD).status_code == 200
    answers = [_login(api_client, "camille@example.org", "bad").status_code for _ in range(4)]
    assert answers == [400, 400, 400, 400]


def test_refresh_rotates_and_the_old_refresh_is_dead(api_client):
    tokens = issue_tokens(TenantFactory().user)
    first = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert first.status_code == 200
    assert first.json()["refresh"] != tokens["refresh"]
    again = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    newer = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": first.json()["refresh"]}, format="json"
    )
    assert newer.status_code == 200


def test_an_access_token_is_refused_as_a_refresh(api_client):
    tokens = issue_tokens(TenantFactory().user)
    response = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["access"]}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_is_refused_as_an_access_token():
    tenant = TenantFactory()
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(tenant.user)['refresh']}")
    assert client.get("/api/v1/me/").status_code == 401


def _forged(claims, key, algorithm="HS256"):
    return jwt.encode(claims, key, algorithm=algorithm)


@pytest.mark.parametrize("variant", ["secret_key", "wrong_key", "alg_none", "expired"])
def test_forged_or_expired_access_tokens_are_refused(variant):
    tenant = TenantFactory()
    claims = dict(AccessToken(issue_tokens(tenant.user)["access"]).payload)
    if variant == "secret_key":
        token = _forged(claims, settings.SECRET_KEY)
    elif variant == "wrong_key":
        token = _forged(claims, "another-key-of-sufficient-length-0123456789")
    elif variant == "alg_none":
        token = jwt.encode(claims, None, algorithm="none")
    else:
        claims["exp"] = int(datetime.datetime.now(datetime.UTC).timestamp()) - 1
        token = _forged(claims, settings.SIMPLE_JWT["SIGNING_KEY"])
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] in {"token_not_valid", "authentication_failed"}


def test_tokens_are_signed_with_the_jwt_key_not_the_secret_key():
    tenant = TenantFactory()
    token = issue_tokens(tenant.user)["access"]
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])


def test_logout_kills_the_refresh_token(api_client):
    tenant = TenantFactory()
    tokens = issue_tokens(tenant.user)
    client = client_for(tenant.user)
    assert (
        client.post(
            "/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json"
        ).status_code
        == 204
    )
    response = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert response.status_code == 401


def test_logout_refuses_someone_elses_refresh_token():
    mine, theirs = TenantFactory(), TenantFactory()
    their_tokens = issue_tokens(theirs.user)
    response = client_for(mine.user).post(
        "/api/v1/auth/logout/", {"refresh": their_tokens["refresh"]}, format="json"
    )
    assert response.status_code == 401
    refreshed = client_for(None).post(
        "/api/v1/auth/token/refresh/", {"refresh": their_tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200


def test_password_change_ends_every_other_session(api_client):
    tenant = TenantFactory()
    other_session = issue_tokens(tenant.user)
    client = client_for(tenant.user)
    response = client.post(
        "/api/v1/me/password/",
        {"current_password": PASSWORD, "new_password": "Another-Strong-Pass-77"},
        format="json",
    )
    assert response.status_code == 200
    new_tokens = response.json()
    stale = client_for(None)
    stale.credentials(HTTP_AUTHORIZATION=f"Bearer {other_session['access']}")
    assert stale.get("/api/v1/me/").status_code == 401
    assert stale.get("/api/v1/me/").json()["code"] == "session_ended"
    refresh = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": other_session["refresh"]}, format="json"
    )
    assert refresh.status_code == 401
    fresh = client_for(None)
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {new_tokens['access']}")
    assert fresh.get("/api/v1/me/").status_code == 200
    assert _login(api_client, tenant.user.email, "Another-Strong-Pass-77").status_code == 200
    inbox = Notification.objects.filter(recipient=tenant.user)
    assert [n.kind for n in inbox] == ["account.password_changed"]


def test_password_change_refuses_a_wrong_current_password_and_changes_nothing():
    tenant = TenantFactory()
    client = client_for(tenant.user)
    response = client.post(
        "/api/v1/me/password/",
        {"current_password": "wrong", "new_password": "Another-Strong-Pass-77"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"current_password": [response.json()["message"]]}
    tenant.user.refresh_from_db()
    assert tenant.user.check_password(PASSWORD)
    assert client.get("/api/v1/me/").status_code == 200


def test_password_change_refuses_a_weak_password():
    tenant = TenantFactory()
    response = client_for(tenant.user).post(
        "/api/v1/me/password/", {"current_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"
    assert list(response.json()["fields"]) == ["new_password"]


def test_guessing_the_current_password_locks_like_sign_in():
    tenant = TenantFactory()
    client = client_for(tenant.user)
    answers = [
        client.post(
            "/api/v1/me/password/",
            {"current_password": f"guess-{i}", "new_password": "Another-Strong-Pass-77"},
            format="json",
        ).status_code
        for i in range(6)
    ]
    assert answers == [400, 400, 400, 400, 400, 429]
    right = client.post(
        "/api/v1/me/password/",
        {"current_password": PASSWORD, "new_password": "Another-Strong-Pass-77"},
        format="json",
    )
    assert right.status_code == 429
    tenant.user.refresh_from_db()
    assert tenant.user.check_password(PASSWORD)


def test_revoking_sessions_kills_access_and_refresh_tokens(api_client):
    tenant = TenantFactory()
    tokens = issue_tokens(tenant.user)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/v1/me/sessions/revoke/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    refresh = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refresh.status_code == 401


def test_a_deactivated_user_is_refused_at_the_next_request(api_client):
    tenant = TenantFactory()
    tokens = issue_tokens(tenant.user)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/me/").status_code == 200
    tenant.user.is_active = False
    tenant.user.save()
    assert client.get("/api/v1/me/").status_code == 401
    refresh = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refresh.status_code == 401


def test_the_token_version_check_costs_no_extra_query(django_assert_num_queries):
    tenant = TenantFactory()
    client = client_for(tenant.user)
    # 1: the user (with its token version); 2: the profile with its relations.
    with django_assert_num_queries(2):
        assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("member", "profile_table"),
    [
        ("tenant_a", "accounts_tenant"),
        ("staff_a", "accounts_staff"),
        ("employer_member", "accounts_employermember"),
    ],
)
def test_authentication_joins_only_the_profile_of_the_tokens_role(world, member, profile_table):
    user = getattr(world, member).user
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/me/").status_code == 200
    user_query = captured.captured_queries[0]["sql"]
    assert user_query.count("JOIN") == 1 and profile_table in user_query


def test_a_token_from_before_the_role_claim_still_signs_in(world):
    access = AccessToken(issue_tokens(world.tenant_a.user)["access"])
    del access["role"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/me/").json()["role"] == "tenant"


def test_the_role_claim_is_only_a_hint_the_users_row_decides(world):
    """A token signed with a role that is not the user's (say, a role changed by an admin)
    gives no other role's access: the role gates read the user's row."""
    access = AccessToken(issue_tokens(world.tenant_a.user)["access"])
    access["role"] = "staff"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/me/").json()["role"] == "tenant"
    assert client.get("/api/v1/home/").status_code == 200
    assert client.get("/api/v1/loyalty/accounts/").status_code == 403


def test_logout_with_the_device_token_stops_pushes_to_it():
    from notifications.services import device_register

    tenant = TenantFactory()
    device, _created = device_register(user=tenant.user, identifier="tok-123", platform="android")
    tokens = issue_tokens(tenant.user)
    response = client_for(tenant.user).post(
        "/api/v1/auth/logout/",
        {"refresh": tokens["refresh"], "device_token": "tok-123"},
        format="json",
    )
    assert response.status_code == 204
    device.refresh_from_db()
    assert device.is_active is False


STRANGER = "203.0.113.9"
VICTIM = "198.51.100.7"


def _login_from(address, email, password):
    return client_for(None).post(
        "/api/v1/auth/token/",
        {"email": email, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def test_a_strangers_wrong_passwords_from_another_client_do_not_lock_the_victim_out():
    TenantFactory(user__email="camille@example.org")
    stranger = [_login_from(STRANGER, "camille@example.org", "bad").status_code for _ in range(20)]
    assert stranger == [400] * 5 + [429] * 15
    assert _login_from(VICTIM, "camille@example.org", PASSWORD).status_code == 200
    # and the stranger stays locked out, the right password included
    assert _login_from(STRANGER, "camille@example.org", PASSWORD).status_code == 429


def test_the_account_ceiling_locks_every_client_once_reached(settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 12
    TenantFactory(user__email="camille@example.org")
    answers = [
        _login_from(f"203.0.113.{i}", "camille@example.org", "bad").status_code
        for i in range(1, 4)
        for _ in range(5)
    ]
    assert answers == [400] * 12 + [429] * 3
    locked = _login_from(VICTIM, "camille@example.org", PASSWORD)
    assert (locked.status_code, locked.json()["code"]) == (429, "login_locked")


def test_the_ceiling_does_not_lock_the_owner_out_of_a_client_they_signed_in_from(
    settings, time_machine
):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 12
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC))
    TenantFactory(user__email="camille@example.org")
    assert _login_from(VICTIM, "camille@example.org", PASSWORD).status_code == 200
    for i in range(1, 4):
        for _ in range(5):
            _login_from(f"203.0.113.{i}", "camille@example.org", "bad")
    # The ceiling is reached: a new client is refused, the owner's usual one is not.
    assert _login_from("192.0.2.50", "camille@example.org", PASSWORD).status_code == 429
    assert _login_from(VICTIM, "camille@example.org", PASSWORD).status_code == 200
    # A client known long ago is a stranger again.
    time_machine.move_to(
        datetime.datetime(2026, 3, 2, 9, 10, tzinfo=datetime.UTC)
        + datetime.timedelta(days=settings.LOGIN_KNOWN_CLIENT_DAYS)
    )
    for i in range(1, 4):
        for _ in range(5):
            _login_from(f"203.0.113.{i}", "camille@example.org", "bad")
    assert _login_from(VICTIM, "camille@example.org", PASSWORD).status_code == 429


def test_one_client_trying_many_accounts_is_throttled_across_them(settings):
    settings.LOGIN_MAX_FAILURES_PER_CLIENT = 6
    emails = [TenantFactory().user.email for _ in range(8)]
    answers = [_login_from(STRANGER, email, "bad").status_code for email in emails]
    assert answers == [400] * 6 + [429] * 2
    assert _login_from(STRANGER, emails[0], PASSWORD).status_code == 429
    assert _login_from(VICTIM, emails[0], PASSWORD).status_code == 200


def test_successful_sign_ins_do_not_count_against_the_client(settings):
    settings.LOGIN_MAX_FAILURES_PER_CLIENT = 3
    emails = [TenantFactory().user.email for _ in range(6)]
    assert [_login_from(STRANGER, e, PASSWORD).status_code for e in emails] == [200] * 6


def test_a_lock_answers_in_the_error_format_with_when_to_retry():
    TenantFactory(user__email="camille@example.org")
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            _login_from(STRANGER, "camille@example.org", "bad")
        traveller.shift(datetime.timedelta(minutes=5))
        locked = _login_from(STRANGER, "camille@example.org", "bad")
    assert locked.status_code == 429
    assert locked.json() == {
        "code": "login_locked",
        "message": "Trop de tentatives de connexion échouées. Réessayez dans 15 minutes.",
        "fields": {},
        "retry_after": 600,
    }


def test_guessing_the_current_password_from_another_client_does_not_lock_the_owner():
    tenant = TenantFactory()
    thief = client_for(tenant.user)
    body = {"current_password": "guess", "new_password": "Another-Strong-Pass-77"}
    answers = [
        thief.post("/api/v1/me/password/", body, format="json", REMOTE_ADDR=STRANGER).status_code
        for _ in range(6)
    ]
    assert answers == [400] * 5 + [429]
    assert _login_from(VICTIM, tenant.user.email, PASSWORD).status_code == 200
