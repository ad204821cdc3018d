"""`manage.py seed_demo`: the whole demo, idempotent, and its printed codes really work."""

import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command

from services.accounts import actions
from services.accounts.models import Employer, Tenancy, Tenant

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def _seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def test_seed_demo_twice_creates_nothing_the_second_time():
    first_output = _seed_demo()
    after_first = _row_counts()

    second_output = _seed_demo()

    assert _row_counts() == after_first
    assert CODE.findall(second_output) == CODE.findall(first_output)
    assert len(set(CODE.findall(first_output))) == 20
    # 50 holders and the first one's household member.
    assert after_first["accounts.Tenant"] == Tenant.objects.count() == 51
    assert Tenancy.objects.filter(activated_at__isnull=True).count() == 20
    assert Employer.objects.count() == 8
    assert "admin@voisinage.test" in first_output
    assert "Voisinage-demo-2026" in first_output
    assert "/console/" in first_output


def test_a_printed_activation_code_activates_a_tenant_account():
    code = CODE.findall(_seed_demo())[0]

    tenant, tokens = actions.tenant_activate(
        activation_code=code, email="kevin.lambert@example.org", password="Voisinage-demo-2026"
    )

    assert tenant.tenancy.tenant_reference == "IAA-P00001"
    assert tenant.landlord.slug == "iaa"
    assert tenant.tenancy.activated_at is not None
    assert tenant.user.check_password("Voisinage-demo-2026")
    assert set(tokens) >= {"access", "refresh"}
    assert Tenant.objects.filter(is_holder=True).count() == 51
