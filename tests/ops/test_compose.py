"""compose.yaml, checked without a container engine: its shape (services, healthchecks, named
volumes, start order) and that every command it runs exists in this project."""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"db", "redis", "migrate", "api", "worker", "beat"}
APP_SERVICES = {"migrate", "api", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_services_and_their_images(compose):
    services = compose["services"]
    assert set(services) == SERVICES
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in APP_SERVICES:  # one image, built from the Dockerfile
        assert services[name]["build"] == "."
        assert services[name]["image"] == "voisinage:latest"
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == (
            "backend.settings.production"
        )


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck", {})
        if name == "migrate":  # runs once and exits
            assert check == {"disable": True}
            continue
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert {"interval", "timeout", "retries"} <= set(check), name
    api_probe = compose["services"]["api"]["healthcheck"]["test"]
    # Liveness, not readiness: a Redis outage must not mark the API unhealthy.
    assert "/healthz" in api_probe[-1]


def test_data_lives_in_named_volumes(compose):
    declared = set(compose["volumes"])
    used = {}
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source, target = mount.split(":")[:2]
            assert not source.startswith((".", "/")), f"{name} mounts a host path: {mount}"
            used[source] = target
    assert used.keys() == declared
    assert used["pgdata"] == "/var/lib/postgresql/data"
    assert used["redisdata"] == "/data"
    assert used["media"] == compose["services"]["api"]["environment"]["MEDIA_ROOT"]
    # The image creates the beat directory for its non-root user (a fresh volume copies it).
    assert used["beat"] in (ROOT / "Dockerfile").read_text()


def test_the_app_starts_after_its_dependencies_and_the_migrations(compose):
    services = compose["services"]
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"] == {"condition": "service_healthy"}
        assert depends["redis"] == {"condition": "service_healthy"}
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    environment = services["api"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://voisinage:")
    assert environment["DATABASE_URL"].endswith("@db:5432/voisinage")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"


def test_secrets_are_required_not_defaulted(compose):
    environment = compose["services"]["api"]["environment"]
    for name in ("SECRET_KEY", "JWT_SIGNING_KEY", "ALLOWED_HOSTS"):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", environment[name]), name
    assert ":?" in compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"]


def test_every_variable_the_app_reads_is_documented(compose):
    documented = (ROOT / ".env.example").read_text()
    for name in APP_SERVICES:
        for variable in compose["services"][name]["environment"]:
            assert re.search(rf"^#? ?{variable}=", documented, flags=re.MULTILINE), variable


def test_the_api_runs_gunicorn_with_the_project_settings_as_the_image_does(compose):
    command = compose["services"]["api"]["command"]
    assert command[:2] == ["gunicorn", "backend.wsgi:application"]
    config = command[command.index("--config") + 1]
    assert config == "python:backend.gunicorn_conf"
    module = importlib.import_module(config.removeprefix("python:"))
    assert module.bind == "0.0.0.0:8000"
    assert module.workers >= 3 and module.timeout == 30
    assert "request_id=%({x-request-id}o)s" in module.access_log_format
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"CMD {command!r}".replace("'", '"') in dockerfile
    module_name, attribute = command[1].split(":")
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_gunicorn_takes_its_worker_count_from_the_environment():
    script = "import backend.gunicorn_conf as c; print(c.workers, c.bind)"
    env = {**os.environ, "WEB_CONCURRENCY": "4", "GUNICORN_BIND": "127.0.0.1:9"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == ["4", "127.0.0.1:9"], out.stderr


def test_gunicorn_accepts_the_configuration():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--check-config",
            "--config",
            "python:backend.gunicorn_conf",
            "backend.wsgi:application",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_services_name_the_project_app(compose, service):
    command = compose["services"][service]["command"]
    assert command[:4] == ["celery", "-A", "backend", service]
    from celery import Celery

    # `celery -A backend` finds backend.celery.app.
    assert isinstance(importlib.import_module("backend.celery").app, Celery)
    probe = compose["services"][service]["healthcheck"]["test"]
    if service == "worker":
        assert "celery -A backend inspect ping" in probe[1]
    else:
        schedule = command[command.index("--schedule") + 1]
        assert schedule.rsplit("/", 1)[0] in probe[-1]


def test_migrate_is_a_django_command(compose):
    command = compose["services"]["migrate"]["command"]
    assert command[0] == "django-admin"
    assert command[1] in get_commands()
    assert command[1] == "migrate"
