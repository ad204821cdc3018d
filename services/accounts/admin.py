"""The back-office for accounts: superusers see every landlord, staff only their own.

Codes (activation, invitation) are never shown from their hash: a new activation code is
issued by the "re-issue" action and shown once, in a message.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from services.core import clock
from services.core.admin import LandlordScopedAdmin, request_landlord_id
from services.core.errors import DomainError

from . import actions, policies
from .models import (
    Employer,
    EmployerInvitation,
    EmployerMember,
    Landlord,
    PartnerAccess,
    Residence,
    Staff,
    Tenancy,
    Tenant,
    User,
    normalize_email,
)


class _UserFixedOnceCreated:
    """The account a Tenant, Staff or EmployerMember row belongs to is chosen at creation and
    never moved (moving it would hand one person's data to another account)."""

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "user") if obj is not None else fields


@admin.register(Landlord)
class LandlordAdmin(LandlordScopedAdmin):
    """Staff see their own landlord's row, read-only; only superusers create or edit."""

    landlord_path = "pk"
    staff_permissions = ("view",)
    list_display = ("name", "slug", "points_validity_months")
    search_fields = ("name", "slug")
    readonly_fields = ("public_id", "created_at", "updated_at")
    prepopulated_fields = {"slug": ("name",)}

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(Residence)
class ResidenceAdmin(LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("name", "city", "postcode", "is_qpv", "landlord")
    list_filter = ("is_qpv", "city", "landlord")
    list_select_related = ("landlord",)
    search_fields = ("name", "address", "city", "postcode")
    readonly_fields = ("public_id", "created_at", "updated_at")
    fields = (
        "landlord",
        "name",
        "address",
        "postcode",
        "city",
        "latitude",
        "longitude",
        "is_qpv",
        "public_id",
        "created_at",
        "updated_at",
    )


class TenancyAdminForm(forms.ModelForm):
    class Meta:
        model = Tenancy
        fields = (
            "landlord",
            "residence",
            "unit_reference",
            "tenant_reference",
            "holder_names",
            "start_date",
            "end_date",
        )

    def clean(self):
        cleaned = super().clean()
        landlord, residence = cleaned.get("landlord"), cleaned.get("residence")
        if landlord and residence and residence.landlord_id != landlord.pk:
            self.add_error("residence", _("This residence belongs to another landlord."))
        return cleaned


def _can_manage_tenancies(request) -> bool:
    return request.user.is_superuser or policies.can_manage_tenancies(actor=request.user)


@admin.register(Tenancy)
class TenancyAdmin(LandlordScopedAdmin):
    """The activation code's hash never appears; a new code is shown once after creation or
    by the re-issue action. Job advisors may look, not change (tenancy data is not theirs)."""

    landlord_path = "landlord"
    form = TenancyAdminForm
    list_display = (
        "tenant_reference",
        "holder_names",
        "residence",
        "unit_reference",
        "start_date",
        "end_date",
        "activation_status",
    )
    list_filter = ("residence", "landlord")
    list_select_related = ("residence", "landlord")
    search_fields = ("tenant_reference", "holder_names", "unit_reference")
    fields = (
        "landlord",
        "residence",
        "unit_reference",
        "tenant_reference",
        "holder_names",
        "start_date",
        "end_date",
        "activation_status",
        "activation_code_expires_at",
        "activated_at",
        "public_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "activation_status",
        "activation_code_expires_at",
        "activated_at",
        "public_id",
        "created_at",
        "updated_at",
    )
    actions = ("reissue_activation_code",)
    metadata_fields = (
        *LandlordScopedAdmin.metadata_fields,
        "activation_status",
        "activation_code_expires_at",
        "activated_at",
    )

    @admin.display(description=_("activation"))
    def activation_status(self, obj: Tenancy) -> str:
        if obj.pk is None:
            return "—"
        if obj.activated_at:
            return str(_("activated"))
        if obj.activation_code_hash and obj.activation_code_expires_at:
            if obj.activation_code_expires_at > clock.now():
                return str(_("code pending"))
            return str(_("code expired"))
        return str(_("no code"))

    def has_add_permission(self, request):
        return _can_manage_tenancies(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return _can_manage_tenancies(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _can_manage_tenancies(request) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self._issue_code(request, obj)

    def _issue_code(self, request, tenancy: Tenancy) -> None:
        try:
            issued = actions.tenancy_reissue_activation_code(actor=request.user, tenancy=tenancy)
        except DomainError as exc:
            messages.warning(
                request,
                _("No activation code for %(ref)s: %(reason)s")
                % {"ref": tenancy.tenant_reference, "reason": exc.message},
            )
            return
        messages.success(
            request,
            _("Activation code for %(ref)s (shown only once, valid until %(until)s): %(code)s")
            % {
                "ref": tenancy.tenant_reference,
                "until": issued.tenancy.activation_code_expires_at.date().isoformat(),
                "code": issued.activation_code,
            },
        )

    @admin.action(description=_("Re-issue the activation code"), permissions=["change"])
    def reissue_activation_code(self, request, queryset):
        for tenancy in queryset.order_by("tenant_reference", "id"):
            self._issue_code(request, tenancy)


class TenantAdminForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ("user", "landlord", "tenancy")

    def clean(self):
        cleaned = super().clean()
        landlord, tenancy = cleaned.get("landlord"), cleaned.get("tenancy")
        if landlord and tenancy and tenancy.landlord_id != landlord.pk:
            self.add_error("tenancy", _("This tenancy belongs to another landlord."))
        return cleaned


@admin.register(Tenant)
class TenantAdmin(_UserFixedOnceCreated, LandlordScopedAdmin):
    """Tenants come from activation; staff may correct the tenancy, not create accounts."""

    landlord_path = "landlord"
    staff_permissions = ("view", "change")
    form = TenantAdminForm
    list_display = ("user", "tenancy", "landlord", "created_at")
    list_filter = ("landlord",)
    list_select_related = ("user", "tenancy", "landlord")
    search_fields = (
        "user__email",
        "user__first_name",
        "user__last_name",
        "tenancy__tenant_reference",
    )
    raw_id_fields = ("user",)
    fields = ("user", "landlord", "tenancy", "public_id", "created_at", "updated_at")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Staff)
class StaffAdmin(_UserFixedOnceCreated, LandlordScopedAdmin):
    """Who is staff (and so may use this back-office) is decided by superusers."""

    landlord_path = "landlord"
    staff_permissions = ("view",)
    list_display = ("user", "role", "landlord")
    list_filter = ("role", "landlord")
    list_select_related = ("user", "landlord")
    search_fields = ("user__email", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)
    readonly_fields = ("public_id", "created_at", "updated_at")


def _can_manage_employers(request) -> bool:
    return request.user.is_superuser or policies.can_manage_employers(actor=request.user)


@admin.register(Employer)
class EmployerAdmin(LandlordScopedAdmin):
    """Staff see the employers partnered with their landlord; saving keeps the partnerships
    with other landlords that they cannot see."""

    landlord_path = "landlords"
    list_display = ("name", "siret", "city", "postcode")
    list_filter = ("city", "landlords")
    search_fields = ("name", "siret", "city")
    filter_horizontal = ("landlords",)
    readonly_fields = ("public_id", "created_at", "updated_at")

    def has_add_permission(self, request):
        return _can_manage_employers(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return _can_manage_employers(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _can_manage_employers(request) and super().has_delete_permission(request, obj)


@admin.register(EmployerMember)
class EmployerMemberAdmin(_UserFixedOnceCreated, LandlordScopedAdmin):
    """Members join by accepting an invitation; staff look, superusers fix."""

    landlord_path = "employer__landlords"
    staff_permissions = ("view",)
    list_display = ("user", "employer", "created_at")
    list_select_related = ("user", "employer")
    search_fields = ("user__email", "employer__name")
    raw_id_fields = ("user",)
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(PartnerAccess)
class PartnerAccessAdmin(LandlordScopedAdmin):
    """A member's access to one landlord's candidates and matches. Staff grant and withdraw
    their landlord's through invitations and the API; they look here, superusers fix."""

    landlord_path = "landlord"
    staff_permissions = ("view",)
    list_display = ("member", "landlord", "granted_by", "granted_at")
    list_select_related = ("member__user", "member__employer", "landlord", "granted_by")
    list_filter = ("landlord",)
    search_fields = ("member__user__email", "member__employer__name")
    raw_id_fields = ("member", "granted_by", "invitation")


@admin.register(EmployerInvitation)
class EmployerInvitationAdmin(LandlordScopedAdmin):
    """Read-only: an invitation's code is shown once, by the API, and only its hash is kept."""

    landlord_path = "landlord"
    staff_permissions = ("view",)
    list_display = ("employer", "landlord", "created_by", "expires_at", "accepted_at")
    list_select_related = ("employer", "landlord", "created_by")
    list_filter = ("landlord",)
    exclude = ("code_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Users ----------------------------------------------------------------------------


def _clean_unique_email(form: forms.ModelForm) -> str:
    email = normalize_email(form.cleaned_data.get("email", ""))
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk is not None:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(_("An account already exists with this e-mail."))
    return email


class AccountsUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role", "first_name", "last_name", "language")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class AccountsUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class AccountsStaffUserForm(forms.ModelForm):
    """What landlord staff may edit on a user: contact details and whether it is active."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "phone", "language", "is_active")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class AccountsPasswordChangeForm(AdminPasswordChangeForm):
    """A password set in the back-office ends every session of that user, as in the API."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            actions.sessions_end_all(user=user)
        return user


_PERSONAL = (_("Personal info"), {"fields": ("first_name", "last_name", "phone", "language")})


@admin.register(User)
class UserAdmin(LandlordScopedAdmin, DjangoUserAdmin):
    """Log in by e-mail. Staff see their landlord's tenants, staff and partner employers'
    members, and edit only their contact details and whether they are active; roles,
    privileges and passwords are the superusers'."""

    landlord_path = (
        "tenant__landlord",
        "staff__landlord",
        "employer_member__employer__landlords",
    )
    staff_permissions = ("view", "change")
    form = AccountsUserChangeForm
    add_form = AccountsUserCreationForm
    add_form_template = None
    change_password_form = AccountsPasswordChangeForm
    list_display = ("email", "first_name", "last_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "language")
    search_fields = ("email", "first_name", "last_name", "phone")
    ordering = ("email",)
    readonly_fields = ("public_id", "last_login", "date_joined", "updated_at", "token_version")
    fieldsets = (
        (None, {"fields": ("email", "password", "role", "public_id")}),
        _PERSONAL,
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (
            _("Important dates"),
            {"fields": ("last_login", "date_joined", "updated_at", "token_version")},
        ),
    )
    staff_fieldsets = (
        (None, {"fields": ("email", "role", "public_id")}),
        _PERSONAL,
        (_("Access"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "role",
                    "first_name",
                    "last_name",
                    "language",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [f for f in filters if f not in ("is_superuser", "is_staff")]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.staff_fieldsets
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and not request.user.is_superuser:
            kwargs["form"] = AccountsStaffUserForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ("role",)
        return fields

    def user_change_password(self, request, id, form_url=""):
        """Only superusers set others' passwords (staff would otherwise take over tenants'
        accounts); staff change their own through the admin's password page."""
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            actions.sessions_end_all(user=obj)

    def has_add_permission(self, request):
        return request_landlord_id(request) is None and super().has_add_permission(request)
