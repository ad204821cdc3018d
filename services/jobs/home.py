"""What the tenant app's first screen shows of jobs (a fixed number of queries)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import translation

from services.accounts.models import Employer
from services.core import clock, stamps
from services.core.memo import memo_key, memoized

from .models import JobProfile, Match, Offer
from .policies import tenant_of
from .selectors import FeedItem, match_list_for_user, offer_feed_for_tenant, offer_list_for_user

if TYPE_CHECKING:
    from services.accounts.models import User

HOME_MATCHES = 10
HOME_MATCH_FIELDS = (
    "public_id",
    "state",
    "state_changed_at",
    "updated_at",
    "offer__public_id",
    "offer__title",
    "offer__employer__name",
)
HOME_OFFERS = 3


def home_matches_changed(*, user: User, since: datetime.datetime | None) -> list[Match]:
    """My matches changed after `since` (all recent ones on a first visit), newest first."""
    # The home screen shows each match's state and times, its offer's title and its
    # employer's name (api/v1/home HomeMatchOutput): only those are read.
    qs = (
        match_list_for_user(user=user)
        .select_related(None)
        .select_related("offer__employer")
        .only(*HOME_MATCH_FIELDS)
    )
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


_MATCH, _OFFER, _EMPLOYER, _PROFILE = (
    m._meta.db_table for m in (Match, Offer, Employer, JobProfile)
)
_TARGETS = Offer.target_landlords.through._meta.db_table


def _ranking_stamps(*, user: User) -> dict:
    """The versions of a tenant's offers (`offer_list_for_user`) and profile, in
    hand-written SQL (`stamps.sql_version`). The body shows each offer's employer: an
    employer's edit moves the offers' version. The feed's score reads the profile: an
    edited profile changes the offers shown."""
    tenant = tenant_of(user)
    offers = stamps.sql_version(
        f"{_OFFER} INNER JOIN {_TARGETS} ON {_OFFER}.id = {_TARGETS}.offer_id"
        f" INNER JOIN {_EMPLOYER} ON {_OFFER}.employer_id = {_EMPLOYER}.id"
        f" WHERE {_OFFER}.status = %s AND {_TARGETS}.landlord_id = %s",
        f"{_OFFER}.updated_at",
        f"{_EMPLOYER}.updated_at",
    )
    profile = stamps.sql_version(
        f"{_PROFILE} WHERE {_PROFILE}.tenant_id = %s", f"{_PROFILE}.updated_at"
    )
    return {
        "offers": (offers, [Offer.Status.PUBLISHED.value, tenant.landlord_id]),
        "profile": (profile, [tenant.pk]),
    }


def home_stamps(*, user: User) -> dict:
    """The versions of what the home screen shows of jobs, for its ETag, in hand-written
    SQL: each match's offer and employer show too (even once the offer is closed), so their
    edits move the version of the matches (`match_list_for_user`'s rows). `offers` and
    `profile` are also the ranking's inputs (`home_offers(versions=...)`)."""
    matches = stamps.sql_version(
        f"{_MATCH} INNER JOIN {_OFFER} ON {_MATCH}.offer_id = {_OFFER}.id"
        f" INNER JOIN {_EMPLOYER} ON {_OFFER}.employer_id = {_EMPLOYER}.id"
        f" WHERE {_MATCH}.tenant_id = %s",
        f"{_MATCH}.updated_at",
        f"{_OFFER}.updated_at",
        f"{_EMPLOYER}.updated_at",
    )
    return {"matches": (matches, [tenant_of(user).pk]), **_ranking_stamps(user=user)}
