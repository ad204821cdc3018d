"""The schema states the production database's integer bounds (PostgreSQL's), whatever
database generates it: Django derives an integer field's min/max validators from the
connection (SQLite says 64 bits for every positive integer), and docs/openapi.yaml must be
the same file from SQLite and from PostgreSQL (tests/test_openapi_committed.py runs on both).
"""

import types
from contextlib import contextmanager

from django.apps import apps
from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import IntegerField
from drf_spectacular.generators import SchemaGenerator as BaseSchemaGenerator


def _forget_integer_validators() -> None:
    # Field.validators is a cached_property: computed once per field from the connection.
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, IntegerField):
                field.__dict__.pop("validators", None)


@contextmanager
def _production_integer_ranges():
    ops = connection.ops
    ops.integer_field_range = types.MethodType(BaseDatabaseOperations.integer_field_range, ops)
    _forget_integer_validators()
    try:
        yield
    finally:
        del ops.integer_field_range  # back to the backend's own method
        _forget_integer_validators()


class SchemaGenerator(BaseSchemaGenerator):
    def get_schema(self, request=None, public=False):
        with _production_integer_ranges():
            return super().get_schema(request=request, public=public)
