"""What the tenant app's first screen shows of jobs (a fixed number of queries)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from services.core import stamps

from .models import JobProfile, Match
from .selectors import FeedItem, match_list_for_user, offer_feed_for_tenant, offer_list_for_user

if TYPE_CHECKING:
    from services.accounts.models import User

HOME_MATCHES = 10
HOME_OFFERS = 3


def home_matches_changed(*, user: User, since: datetime.datetime | None) -> list[Match]:
    """My matches changed after `since` (all recent ones on a first visit), newest first."""
    qs = match_list_for_user(user=user)
    if since is not None:
        qs = qs.filter(updated_at__gt=since)
    return list(qs.order_by("-updated_at", "-id")[:HOME_MATCHES])


def home_offers(*, user: User) -> list[FeedItem]:
    return offer_feed_for_tenant(user=user, limit=HOME_OFFERS)


def home_stamps(*, user: User) -> dict:
    matches = match_list_for_user(user=user)
    offers = offer_list_for_user(user=user)
    # The feed's score reads the profile: an edited profile changes the offers shown.
    profile = JobProfile.objects.filter(tenant__user=user)
    return {
        "matches_at": stamps.latest(matches),
        "matches_n": stamps.count(matches),
        "offers_at": stamps.latest(offers),
        "offers_n": stamps.count(offers),
        "profile_at": stamps.latest(profile),
    }
