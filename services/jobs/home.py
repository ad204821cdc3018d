"""What the tenant app's first screen shows of jobs (a fixed number of queries)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import translation

from services.core import clock, stamps
from services.core.memo import memo_key, memoized

from .models import JobProfile, Match
from .policies import tenant_of
from .selectors import FeedItem, match_list_for_user, offer_feed_for_tenant, offer_list_for_user

if TYPE_CHECKING:
    from services.accounts.models import User

HOME_MATCHES = 10
HOME_OFFERS = 3


def home_matches_changed(*, user: User, since: datetime.datetime | None) -> list[Match]:
    """My matches changed after `since` (all recent ones on a first visit), newest first."""
    # The home screen shows each match's offer and employer only: not the other relations
    # the match list loads.
    qs = match_list_for_user(user=user).select_related(None).select_related("offer__employer")
    if since is not None:
        qs = qs.filter(updated_at__gt=since)
    return list(qs.order_by("-updated_at", "-id")[:HOME_MATCHES])


# Bump when the scoring changes, so that a deploy never serves a ranking of the old one.
RANKING_VERSION = 1
RANKING_TIMEOUT = 24 * 3600


def home_offers(*, user: User, versions: dict[str, str] | None = None) -> list[FeedItem]:
    """My best offers. Scoring every published offer costs more than the rest of the home
    screen together, and its inputs (my profile, where I live, the offers I may see, the day)
    change seldom: the ranking is kept under their versions (one query, or none when the
    caller passes the `offers` and `profile` versions of `home_stamps` it has read already),
    the offers are read fresh (an employer's new name shows at once)."""
    tenant = tenant_of(user)
    if versions is None:
        versions = stamps.read(**_ranking_stamps(user=user))
    key = memo_key(
        "jobs.home_offers",
        RANKING_VERSION,
        tenant.pk,
        tenant.tenancy_id,
        versions["offers"],
        versions["profile"],
        clock.today(),
        # The reasons' sentences are rendered in the reader's language as they are ranked.
        translation.get_language(),
    )

    ranked: list[FeedItem] = []

    def rank() -> list[tuple[int, object]]:
        ranked.extend(offer_feed_for_tenant(user=user, limit=HOME_OFFERS))
        return [(item.offer.pk, item.score) for item in ranked]

    ranking = memoized(key, rank, timeout=RANKING_TIMEOUT)
    if ranked:
        return ranked
    offers = offer_list_for_user(user=user).in_bulk([pk for pk, _ in ranking])
    return [FeedItem(offer=offers[pk], score=score) for pk, score in ranking if pk in offers]


def _ranking_stamps(*, user: User) -> dict:
    # The body shows each offer's employer: an employer's edit moves the offers' version.
    # The feed's score reads the profile: an edited profile changes the offers shown.
    return {
        "offers": stamps.version(
            offer_list_for_user(user=user), "updated_at", "employer__updated_at"
        ),
        "profile": stamps.version(JobProfile.objects.filter(tenant=tenant_of(user))),
    }


def home_stamps(*, user: User) -> dict:
    # Each match's offer and employer show too (even once the offer is closed): their edits
    # move the version of the rows that show them. `offers` and `profile` are also the
    # ranking's inputs (`home_offers(versions=...)`).
    return {
        "matches": stamps.version(
            match_list_for_user(user=user),
            "updated_at",
            "offer__updated_at",
            "offer__employer__updated_at",
        ),
        **_ranking_stamps(user=user),
    }
