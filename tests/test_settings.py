"""The auth settings that keep tokens safe, and the system checks that guard them."""

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import checks
from rest_framework_simplejwt.settings import api_settings

from services.accounts.checks import token_blacklist_installed

ROOT = Path(__file__).resolve().parent.parent
BLACKLIST = "rest_framework_simplejwt.token_blacklist"

_PRINT_JWT = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
jwt = module.SIMPLE_JWT
print(json.dumps({
    "secret_key": module.SECRET_KEY,
    "signing_key": jwt["SIGNING_KEY"],
    "access_seconds": jwt["ACCESS_TOKEN_LIFETIME"].total_seconds(),
    "rotate": jwt["ROTATE_REFRESH_TOKENS"],
    "blacklist": jwt["BLACKLIST_AFTER_ROTATION"],
    "installed": "rest_framework_simplejwt.token_blacklist" in module.INSTALLED_APPS,
}))
"""


def settings_of(module: str, **environ: str) -> dict:
    """Load a settings module in a fresh interpreter (each reads the environment once)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_")
        and key not in {"SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    env.update(environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", _PRINT_JWT, module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_test_settings_sign_tokens_with_their_own_key():
    assert settings.JWT_SIGNING_KEY
    assert settings.SIMPLE_JWT["SIGNING_KEY"] == settings.JWT_SIGNING_KEY
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    assert api_settings.SIGNING_KEY == settings.JWT_SIGNING_KEY  # what simplejwt really uses


def test_production_signs_tokens_with_jwt_signing_key_not_secret_key():
    secret, jwt_key = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    loaded = settings_of(
        "backend.settings.production",
        SECRET_KEY=secret,
        JWT_SIGNING_KEY=jwt_key,
        DATABASE_URL="sqlite:////tmp/voisinage-settings-test.sqlite3",
        ALLOWED_HOSTS="api.voisinage.test",
    )
    assert loaded["secret_key"] == secret
    assert loaded["signing_key"] == jwt_key
    assert loaded["access_seconds"] <= 600
    assert loaded["rotate"] is True and loaded["blacklist"] is True and loaded["installed"]


def test_local_settings_sign_tokens_with_a_key_other_than_secret_key():
    loaded = settings_of("backend.settings.local")
    assert loaded["signing_key"] and loaded["signing_key"] != loaded["secret_key"]


def test_access_tokens_live_ten_minutes_at_most_and_refresh_tokens_rotate():
    assert api_settings.ACCESS_TOKEN_LIFETIME.total_seconds() <= 10 * 60
    assert api_settings.ROTATE_REFRESH_TOKENS is True
    assert api_settings.BLACKLIST_AFTER_ROTATION is True
    assert api_settings.ALGORITHM == "HS256"


def test_the_blacklist_app_is_installed_and_the_auth_checks_pass():
    assert apps.is_installed(BLACKLIST)
    assert token_blacklist_installed(None) == []
    assert token_blacklist_installed in checks.registry.registry.get_checks()


def _ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_check_fails_when_the_blacklist_app_is_removed(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != BLACKLIST]
    assert _ids(token_blacklist_installed(None)) == ["accounts.E001"]


def test_check_fails_when_refresh_tokens_do_not_rotate(settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "BLACKLIST_AFTER_ROTATION": False}
    assert _ids(token_blacklist_installed(None)) == ["accounts.E002"]


def test_check_fails_when_tokens_are_signed_with_secret_key(settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": settings.SECRET_KEY}
    assert _ids(token_blacklist_installed(None)) == ["accounts.E003"]


@pytest.mark.parametrize("minutes", [11, 60])
def test_check_fails_when_access_tokens_live_longer_than_ten_minutes(settings, minutes):
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=minutes),
    }
    assert _ids(token_blacklist_installed(None)) == ["accounts.E004"]


def test_ten_minutes_exactly_is_allowed(settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10)}
    assert token_blacklist_installed(None) == []


def variables_read_by_settings() -> set[str]:
    read = set()
    for path in (ROOT / "backend" / "settings").glob("*.py"):
        read |= set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"'](\w+)[\"']", path.read_text()))
    return read


def test_env_example_documents_every_variable_the_settings_read():
    read = variables_read_by_settings()
    assert {"SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL"} <= read
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read - documented == set(), "add them to .env.example"
    assert "DJANGO_SETTINGS_MODULE" in documented


def test_the_readme_lists_every_variable_the_settings_read():
    read = variables_read_by_settings()
    readme = (ROOT / "README.md").read_text()
    assert {name for name in read if f"`{name}`" not in readme} == set()
