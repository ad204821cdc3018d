"""The tenant app's first screen, in one answer. Each part reuses its area's output shapes."""

from rest_framework import serializers

from api.fields import BoundedDateTimeField
from api.v1.jobs.serializers import STATES_HELP, JobsOfferFeedOutput
from api.v1.loyalty.serializers import LoyaltyAccountOutput, LoyaltyExpiringOutput
from api.v1.notifications.serializers import NotificationsNotificationOutput
from api.v1.volunteering.serializers import VolunteeringSignupOutput


class HomeQueryInput(serializers.Serializer):
    since = BoundedDateTimeField(
        years_back=50,
        years_ahead=1,
        required=False,
        help_text="The `server_time` of your last home answer: `matches_changed` then lists "
        "only matches changed after it (without it: the most recently changed).",
    )


class HomeLoyaltyOutput(LoyaltyAccountOutput):
    next_expiring = LoyaltyExpiringOutput(
        allow_null=True, help_text="The next points to expire (within 90 days), or null."
    )


class HomeVolunteeringOutput(serializers.Serializer):
    next_confirmed = VolunteeringSignupOutput(
        allow_null=True, help_text="My next confirmed slot still to come, or null."
    )
    offered = VolunteeringSignupOutput(
        many=True,
        help_text="Places offered to me from a waitlist, soonest deadline "
        "(`offer_expires_at`) first.",
    )


class HomeMatchOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    state = serializers.CharField(help_text=STATES_HELP)
    offer = serializers.UUIDField(source="offer.public_id")
    offer_title = serializers.CharField(source="offer.title")
    employer_name = serializers.CharField(source="offer.employer.name")
    state_changed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class HomeOutput(serializers.Serializer):
    server_time = serializers.DateTimeField(
        help_text="The server's clock when this answer was built: send it back as `?since=` "
        "next time (never the phone's clock)."
    )
    unread_count = serializers.IntegerField(help_text="Unread inbox notifications.")
    loyalty = HomeLoyaltyOutput()
    volunteering = HomeVolunteeringOutput()
    matches_changed = HomeMatchOutput(
        many=True, help_text="My matches changed since `since`, newest first (at most 10)."
    )
    announcements = NotificationsNotificationOutput(
        many=True, help_text="The latest announcements in my inbox (at most 3)."
    )
    offers = JobsOfferFeedOutput(
        many=True, help_text="The best offers for me, with `score` and `reasons` (at most 3)."
    )
