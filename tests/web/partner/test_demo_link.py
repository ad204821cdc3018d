"""seed_demo's partner: the cinema honours its reward, has a member, and the printed link
signs them in to a counter that finds the demo voucher."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from demo import accounts as accounts_demo
from demo import loyalty as demo
from services.loyalty.models import Partner, PartnerMember, Redemption

pytestmark = pytest.mark.django_db


def test_the_demo_partner_link_opens_the_counter_and_the_seed_is_idempotent():
    accounts_demo.seed(out=io.StringIO())
    demo.seed(out=io.StringIO())
    out = io.StringIO()
    demo.seed(out=out)
    assert Partner.objects.count() == 1 and PartnerMember.objects.count() == 1

    link = re.search(r"https?://\S+/partenaire/lien/\S+", out.getvalue()).group(0)
    query = parse_qs(urlsplit(link).query)
    client = Client()
    signed = client.post(
        urlsplit(link).path, {"sesame": query["sesame"][0], "next": "/partenaire/"}
    )
    assert signed["Location"] == "/partenaire/"
    voucher = Redemption.objects.get()
    page = client.get("/partenaire/", {"code": voucher.code}).content.decode()
    assert voucher.reward.title in page and 'class="loy-validate"' in page
