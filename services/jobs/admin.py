"""The jobs back-office: reading, scoped to the staff's landlord. Every change of an offer
or a match goes through the API's actions (the state machine, its log and notifications),
so these pages are read-only; the ROME reference is shared and read-only too."""

from django.contrib import admin

from services.core.admin import LandlordScopedAdmin

from .models import (
    JobConsent,
    JobProfile,
    Match,
    MatchTransition,
    Offer,
    RevealedProfileView,
    RomeAppellation,
    RomeCode,
)


class _ReadOnly:
    staff_permissions = ("view",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RomeCode)
class RomeCodeAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("code", "label")
    search_fields = ("code", "search")


@admin.register(RomeAppellation)
class RomeAppellationAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("code", "label", "rome")
    search_fields = ("code", "search", "rome__code")
    list_select_related = ("rome",)


@admin.register(JobProfile)
class JobProfileAdmin(_ReadOnly, LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("public_id", "tenant", "search_status", "matching_consent", "updated_at")
    list_filter = ("search_status", "matching_consent", "introduction_consent")
    list_select_related = ("tenant__user",)
    # Sensitive situations are the tenant's alone: not even shown here.
    exclude = ("disability_recognition", "social_benefits", "cv")


@admin.register(JobConsent)
class JobConsentAdmin(_ReadOnly, LandlordScopedAdmin):
    landlord_path = "profile__landlord"
    list_display = ("profile", "purpose", "granted", "version", "at")
    list_filter = ("purpose", "granted")


@admin.register(Offer)
class OfferAdmin(_ReadOnly, LandlordScopedAdmin):
    landlord_path = "target_landlords"
    list_display = ("title", "employer", "rome_code", "contract_type", "status", "published_at")
    list_filter = ("status", "contract_type")
    search_fields = ("title", "employer__name", "rome_code")
    list_select_related = ("employer",)


class MatchTransitionInline(admin.TabularInline):
    model = MatchTransition
    extra = 0
    fields = ("at", "actor_kind", "actor", "from_state", "to_state", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Match)
class MatchAdmin(_ReadOnly, LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("public_id", "offer", "tenant", "state", "score", "state_changed_at")
    list_filter = ("state",)
    list_select_related = ("offer", "tenant__user")
    inlines = [MatchTransitionInline]


@admin.register(RevealedProfileView)
class RevealedProfileViewAdmin(_ReadOnly, LandlordScopedAdmin):
    landlord_path = "match__landlord"
    list_display = ("match", "viewer", "what", "at")
    list_select_related = ("match", "viewer")
