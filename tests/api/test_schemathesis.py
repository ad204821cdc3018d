"""Schemathesis drives every operation of the published schema as each role: no server error,
and every response matches the schema (status, content type, body)."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.accounts.tokens import issue_tokens

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that end the caller's own session would hide every later answer behind a 401.
SESSION_ENDING = {"/api/v1/me/sessions/revoke/", "/api/v1/me/password/", "/api/v1/auth/logout/"}


@pytest.fixture
def _keep_the_test_connection():
    """Like Django's test client: a request must not close the test's transaction-bound
    connection (request_finished closes connections whose autocommit looks wrong)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_the_test_connection")
@pytest.mark.parametrize("role", ["anonymous", "tenant_a", "staff_a", "employer"])
def test_every_operation_conforms_to_the_schema(world, role):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    user = world.users()[role]
    headers = {"Authorization": f"Bearer {issue_tokens(user)['access']}"} if user else {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:
        if operation.path in SESSION_ENDING and user is not None:
            continue

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
