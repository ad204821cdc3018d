"""Wrong check-in codes under real parallel requests (PostgreSQL): exactly the limit is
evaluated, never more."""

import datetime as dt

import pytest
import time_machine

from services.volunteering import actions, checkin
from services.volunteering.models import Signup
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_parallel_wrong_check_in_codes_evaluate_exactly_the_limit(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a), capacity=5)
    signup = SignupFactory(slot=slot, tenant=world.tenant_a)
    url = f"/api/v1/volunteering/slots/{slot.public_id}/check-in/"
    during = slot.starts_at + dt.timedelta(minutes=20)
    good = checkin.code_at(slot.checkin_secret, during)
    wrong = [f"{(int(good) + i) % 1_000_000:06d}" for i in range(1, 31)]

    def guess(code):
        def send():
            client = client_for(None)
            client.credentials(HTTP_AUTHORIZATION=token)
            response = client.post(url, {"code": code}, format="json")
            return response.status_code, response.json().get("code")

        return send

    assert actions.CHECKIN_ATTEMPTS == 10
    with time_machine.travel(during, tick=False):
        token = client_for(world.tenant_a.user)._credentials["HTTP_AUTHORIZATION"]
        answers = run_concurrently([guess(code) for code in wrong])
        assert answers.count((400, "invalid_checkin_code")) == 10
        assert answers.count((409, "too_many_attempts")) == 20
        assert guess(good)() == (409, "too_many_attempts")  # the right code too, for a while
    assert Signup.objects.get(pk=signup.pk).status == "confirmed"
