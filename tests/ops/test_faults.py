"""PostgreSQL lost under a running process: the requests that hit the cut get a 503 in the
error format, and the process recovers by itself, without a restart. (Redis down: see
test_tasks_in_process.py.)"""

import json
import socket

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

from services.accounts.tokens import issue_tokens

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def terminate(pid: int) -> None:
    """What a PostgreSQL restart (or a cut network) does to one server process."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


class Server:
    """Django's WSGI handler called the way gunicorn calls it: unlike the test client, it
    sends request_started and request_finished, where Django drops broken connections."""

    def __init__(self, user) -> None:
        self.handler = WSGIHandler()
        self.token = issue_tokens(user)["access"]

    def get(self, path: str, **headers):
        environ = (
            RequestFactory().get(path, HTTP_AUTHORIZATION=f"Bearer {self.token}", **headers).environ
        )
        started = []
        response = self.handler(environ, lambda status, _headers: started.append(status))
        body = b"".join(response)
        response.close()  # request_finished
        return int(started[0].split()[0]), json.loads(body), response


@pytest.fixture
def persistent_connections():
    """As production runs: connections kept between requests, health-checked before reuse."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.close()
    yield
    connection.settings_dict["CONN_MAX_AGE"] = saved
    connection.close()


def test_a_connection_cut_mid_request_is_a_503_then_the_next_request_works(
    persistent_connections, world
):
    server = Server(world.tenant_a.user)
    assert server.get("/api/v1/me/")[0] == 200
    kept = connection.connection.info.backend_pid  # kept for the next request

    cut = []

    def cut_before_first_query(execute, sql, params, many, context):
        if not cut:
            cut.append(sql)
            terminate(connection.connection.info.backend_pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(cut_before_first_query):
        status, body, response = server.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert cut, "the request made no query"
    assert status == 503
    assert response["Retry-After"] == "5"
    assert body == {
        "code": "service_unavailable",
        "message": "The service is briefly unavailable. Please try again in a moment.",
        "fields": {},
    }

    # No restart: the broken connection was dropped, the next request opens a new one.
    assert server.get("/api/v1/me/")[0] == 200
    assert connection.connection.info.backend_pid != kept


def test_a_connection_dead_between_requests_is_replaced_before_use(persistent_connections, world):
    server = Server(world.tenant_a.user)
    assert server.get("/api/v1/me/")[0] == 200
    terminate(connection.connection.info.backend_pid)
    # CONN_HEALTH_CHECKS: the dead connection is noticed before the request uses it.
    assert server.get("/api/v1/me/")[0] == 200


def test_the_error_format_in_french_by_default(persistent_connections, world):
    server = Server(world.tenant_a.user)
    assert server.get("/api/v1/me/")[0] == 200
    cut = []

    def cut_once(execute, sql, params, many, context):
        if not cut:
            cut.append(sql)
            terminate(connection.connection.info.backend_pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(cut_once):
        status, body, _ = server.get("/api/v1/me/")
    assert status == 503
    assert body["message"] == (
        "Le service est momentanément indisponible. Veuillez réessayer dans un instant."
    )


@pytest.fixture
def database_down():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port))
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_readyz_names_the_database_when_it_is_down(database_down, client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["down"] == ["database"]
    assert body["checks"]["database"] == "unavailable"
    assert "database" in body["message"]
