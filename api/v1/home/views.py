"""GET /home/: the tenant app's first screen in one answer, composed from each area's reads."""

from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.conditional import ConditionalGetMixin, etag_of
from api.permissions import IsTenant
from notifications import selectors as inbox
from services.core import clock, stamps
from services.jobs import home as jobs_home
from services.loyalty import home as loyalty_home
from services.volunteering import home as volunteering_home

from .serializers import HomeOutput, HomeQueryInput

# One instance renders every answer: DRF builds a serializer's fields anew for each instance
# (deep copies, the offers' model introspection), which cost more than rendering the home
# screen's rows, and its fields keep nothing between two renderings.
_HOME_OUTPUT = HomeOutput()


class HomeView(ConditionalGetMixin, APIView):
    """A GET never writes: "since my last visit" is the `server_time` the app sends back."""

    permission_classes = [IsTenant]
    _stamp: dict[str, str] | None = None

    def _since(self, request):
        query = HomeQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("since")

    def etag_before_body(self, request) -> str:
        """One query: each area's version stamp of the rows the answer reads."""
        parts = {
            **inbox.home_stamps(user=request.user),
            **loyalty_home.home_stamps(user=request.user),
            **volunteering_home.home_stamps(user=request.user),
            **jobs_home.home_stamps(user=request.user),
        }
        stamp = stamps.read(**parts)
        self._stamp = stamp  # the offers' ranking is kept under two of these versions
        # The day too: balances, deadlines and scores move with the clock.
        return etag_of(
            sorted(stamp.items()),
            request.user.full_name,  # shown on my sign-ups
            clock.today(),
            self._since(request),
            translation.get_language(),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="The `ETag` of your last answer: 304 when nothing changed.",
            )
        ],
        responses={200: HomeOutput, 304: OpenApiResponse(description="Not modified.")},
        description="Tenants only (others: 403). Unread count, loyalty balance and the next "
        "expiring points, my next confirmed volunteering slot and places offered to me, "
        "matches changed since `since`, the latest announcements and the best offers for me. "
        "A fixed number of queries whatever the tenant's data.",
    )
    def get(self, request):
        user = request.user
        since = self._since(request)
        account = loyalty_home.home_account(user=user)
        payload = {
            "server_time": clock.now(),
            "unread_count": inbox.notification_unread_count(user=user),
            "loyalty": {
                "id": account.id,
                "balance": account.balance,
                "pending": account.pending,
                "expiring": account.expiring,
                "next_expiring": account.expiring[0] if account.expiring else None,
            },
            "volunteering": volunteering_home.home_signups(user=user),
            "matches_changed": jobs_home.home_matches_changed(user=user, since=since),
            "announcements": inbox.announcement_inbox_for_user(user=user),
            "offers": jobs_home.home_offers(user=user, versions=self._stamp),
        }
        return Response(_HOME_OUTPUT.to_representation(payload))
