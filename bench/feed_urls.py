"""The URLs bench/feed.py serves with gunicorn: the project, plus a bare view of the same
home payload for the baseline.

The bare view is what a hand-tuned Django endpoint would be: no DRF, no JWT (the session
cookie Django's own middleware reads), `.values()` queries turned into a `JsonResponse`. It
reads the same rows as `GET /api/v1/home/`; two parts call the same domain functions as the
API (`account_summary` for the balance and what expires, `home_offers` for the scored
offers), because rewriting the ledger's and the matching's arithmetic by hand would measure
a different product, not the framework's overhead.

Served with `DJANGO_SETTINGS_MODULE=bench.feed_settings`.
"""

from django.http import JsonResponse
from django.urls import include, path


def bare_home(request):
    from notifications.kinds import ANNOUNCEMENT
    from notifications.models import Notification
    from services.core import clock
    from services.jobs.home import HOME_MATCHES, home_offers
    from services.jobs.matching import localized_reasons
    from services.jobs.models import Match
    from services.loyalty.selectors import account_summary
    from services.volunteering.models import Signup

    user = request.user
    if not user.is_authenticated or user.role != "tenant":
        return JsonResponse({"code": "not_authenticated"}, status=401)
    tenant = user.tenant
    now = clock.now()
    inbox = Notification.objects.filter(recipient_id=user.pk)
    account = account_summary(tenant=tenant)
    signups = list(
        Signup.objects.filter(
            tenant_id=tenant.pk,
            status__in=[Signup.Status.CONFIRMED, Signup.Status.OFFERED],
            slot__starts_at__gt=now,
        )
        .exclude(status=Signup.Status.OFFERED, offer_expires_at__lte=now)
        .order_by("slot__starts_at", "id")
        .values(
            "public_id",
            "status",
            "offer_expires_at",
            "slot__public_id",
            "slot__starts_at",
            "slot__ends_at",
            "slot__mission__title",
        )[:20]
    )
    confirmed = [s for s in signups if s["status"] == Signup.Status.CONFIRMED]
    offered = [s for s in signups if s["status"] == Signup.Status.OFFERED][:5]
    offers = [
        {
            "offer": {
                "id": item.offer.public_id,
                "title": item.offer.title,
                "employer": item.offer.employer.name,
                "city": item.offer.city,
                "contract_type": item.offer.contract_type,
            },
            "score": item.score.total,
            "distance_km": round(item.score.distance_km, 1),
            "reasons": localized_reasons(item.score.reasons),
        }
        for item in home_offers(user=user)
    ]
    payload = {
        "server_time": now,
        "unread_count": inbox.filter(read_at__isnull=True).count(),
        "loyalty": {
            "balance": account.balance,
            "pending": account.pending,
            "expiring": account.expiring,
            "next_expiring": account.expiring[0] if account.expiring else None,
        },
        "volunteering": {"next_confirmed": confirmed[0] if confirmed else None, "offered": offered},
        "matches_changed": list(
            Match.objects.filter(tenant_id=tenant.pk)
            .order_by("-updated_at", "-id")
            .values(
                "public_id",
                "state",
                "offer__public_id",
                "offer__title",
                "offer__employer__name",
                "state_changed_at",
                "updated_at",
            )[:HOME_MATCHES]
        ),
        "announcements": list(
            inbox.filter(kind=ANNOUNCEMENT)
            .order_by("-created_at", "-id")
            .values("public_id", "kind", "category", "title", "body", "read_at", "created_at")[:3]
        ),
        "offers": offers,
    }
    return JsonResponse(payload)


urlpatterns = [
    path("bare/home/", bare_home),
    path("", include("backend.urls")),
]
