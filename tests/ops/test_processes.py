"""Three real API processes (gunicorn, each its own interpreter, 4 threads) on the test's
PostgreSQL database: what must hold across processes lives in the database, so it holds.
Requests are spread over the processes and sent at the same time.

- the sign-in lock: parallel wrong passwords for one account from one client, spread over
  the 3 processes: exactly LOGIN_MAX_FAILURES are evaluated, the others are refused;
- an Idempotency-Key replayed to the 3 processes (at once, then again one by one): one
  announcement, every 2xx answer the same.

The data is committed (transactional test) so the child processes see it."""

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from notifications.models import Announcement
from services.accounts.tokens import issue_tokens
from tests.factories import TenantFactory
from tests.factories.accounts import PASSWORD, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    params = connection.settings_dict  # the test database (test_<name>), not the dev one
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = params["HOST"] or "127.0.0.1"
    port = params["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@pytest.fixture(scope="module")
def api_processes(django_db_setup, django_db_blocker, tmp_path_factory):
    """Base URLs of 3 gunicorn processes, started together (they boot in parallel)."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    logs = tmp_path_factory.mktemp("api-processes")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "0",  # no idle connection left to block the test's flush
        "PYTHONPATH": str(ROOT),
    }
    ports = [_free_port() for _ in range(PROCESSES)]
    procs = []
    for index, port in enumerate(ports):
        argv = [sys.executable, "-m", "gunicorn", "backend.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        argv += ["--worker-class", "gthread", "--timeout", "60", "--graceful-timeout", "2"]
        with open(logs / f"api{index}.log", "w") as log:
            procs.append(
                subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 90
        for url, proc in zip(urls, procs, strict=True):
            while _get(f"{url}/healthz") != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not start; see {logs}")
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _at_once(calls: list) -> list:
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_parallel_wrong_passwords_over_three_processes_are_evaluated_exactly_up_to_the_limit(
    api_processes,
):
    TenantFactory(user__email="camille@example.org")
    attempts = 4 * settings.LOGIN_MAX_FAILURES
    answers = _at_once(
        [
            lambda url=api_processes[i % PROCESSES]: _post(
                f"{url}/api/v1/auth/token/",
                {"email": "camille@example.org", "password": "not-the-password"},
            )
            for i in range(attempts)
        ]
    )
    codes = sorted((status, body["code"]) for status, body in answers)
    assert codes == [(400, "invalid_credentials")] * settings.LOGIN_MAX_FAILURES + [
        (429, "login_locked")
    ] * (attempts - settings.LOGIN_MAX_FAILURES)
    # Locked everywhere, the right password included.
    for url in api_processes:
        status, body = _post(
            f"{url}/api/v1/auth/token/",
            {"email": "camille@example.org", "password": PASSWORD},
        )
        assert (status, body["code"]) == (429, "login_locked")


def test_an_idempotency_key_replayed_to_three_processes_has_one_effect(api_processes):
    staff = StaffFactory()
    headers = {
        "Authorization": f"Bearer {issue_tokens(staff.user)['access']}",
        "Idempotency-Key": "announce-water-cut",
    }
    body = {"title": "Coupure d'eau", "body": "Jeudi de 9 h à 12 h."}

    def announce(url):
        return lambda: _post(f"{url}/api/v1/announcements/", body, headers)

    together = _at_once([announce(api_processes[i % PROCESSES]) for i in range(6)])
    one_by_one = [announce(url)() for url in api_processes]

    assert Announcement.objects.count() == 1
    accepted = [answer for status, answer in together + one_by_one if status == 202]
    assert {status for status, _ in together} <= {202, 409}  # 409: the first still running
    assert [status for status, _ in one_by_one] == [202] * PROCESSES
    assert all(answer == accepted[0] for answer in accepted)
    assert accepted[0]["id"] == str(Announcement.objects.get().public_id)
