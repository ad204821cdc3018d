"""The admin back-office's one rule: staff see and write only their own landlord's rows.

Every area's ModelAdmin subclasses `LandlordScopedAdmin` and names the path from its model to
`Landlord` in `landlord_path` ("landlord", "tenancy__landlord", "employer__landlords", or a
tuple of paths any of which may match). Superusers see everything. A staff user (role staff,
is_staff, with a Staff row) sees only rows of their landlord: in changelists, change, delete and
history views (another landlord's object is a 404), in foreign-key and many-to-many choices and
in related list filters; on save, a row can neither be created in nor moved into another
landlord. What a staff user may do at all is still Django's permissions, given by the
"Landlord staff" group (`ensure_landlord_staff_group`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

LandlordPath = str | tuple[str, ...]

LANDLORD_STAFF_GROUP = "Landlord staff"

admin.site.site_header = _("Voisinage back-office")
admin.site.site_title = _("Voisinage")
admin.site.index_title = _("Administration")

# The landlord path of the shared models, so a foreign key to them is scoped wherever it
# appears; other areas' models are found through their registered LandlordScopedAdmin.
CORE_LANDLORD_PATHS: dict[str, LandlordPath] = {
    "accounts.landlord": "pk",
    "accounts.residence": "landlord",
    "accounts.tenancy": "landlord",
    "accounts.tenant": "landlord",
    "accounts.staff": "landlord",
    "accounts.employer": "landlords",
    "accounts.employermember": "employer__landlords",
    "accounts.employerinvitation": "landlord",
    "accounts.user": (
        "tenant__landlord",
        "staff__landlord",
        "employer_member__employer__landlords",
    ),
}

_NOTHING = object()  # a request whose user may see no row at all


def landlord_path_for(model: type[models.Model], site: admin.AdminSite | None = None):
    """The path from `model` to its landlord, or None when the model is not landlord data."""
    path = CORE_LANDLORD_PATHS.get(model._meta.label_lower)
    if path is not None:
        return path
    model_admin = (site or admin.site)._registry.get(model)
    if isinstance(model_admin, LandlordScopedAdmin):
        return model_admin.landlord_path
    return getattr(model, "landlord_path", None)


def _paths(path: LandlordPath) -> tuple[str, ...]:
    return (path,) if isinstance(path, str) else tuple(path)


def _is_multivalued(model: type[models.Model], path: str) -> bool:
    """Whether following `path` may reach several rows (a many-to-many or a reverse FK)."""
    if path == "pk":
        return False
    opts = model._meta
    for part in path.split("__"):
        field = opts.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        opts = field.related_model._meta
    return False


def scope_to_landlord(qs: QuerySet, path: LandlordPath, landlord_id: int) -> QuerySet:
    """Rows of `qs` that belong to the landlord; each row once, even through a many-to-many."""
    paths = _paths(path)
    condition = Q()
    for one in paths:
        condition |= Q(**{one: landlord_id})
    if len(paths) == 1 and not _is_multivalued(qs.model, paths[0]):
        return qs.filter(condition)
    return qs.filter(pk__in=qs.model._default_manager.filter(condition).values("pk"))


def _landlord_id_of(obj: models.Model, path: str):
    """The landlord id an unsaved instance points to through a single-valued path, None when
    the path is not set yet, `_NOTHING` when it cannot be known before saving (many-to-many)."""
    if path == "pk":
        return obj.pk
    if _is_multivalued(type(obj), path):
        return _NOTHING
    parts = path.split("__")
    current = obj
    for part in parts[:-1]:
        try:
            current = getattr(current, part)
        except ObjectDoesNotExist:
            return None
        if current is None:
            return None
    field = current._meta.get_field(parts[-1])
    if field.is_relation:
        return getattr(current, field.attname)
    return getattr(current, parts[-1])


def request_landlord_id(request):
    """None for a superuser (no limit), the staff's landlord id, or `_NOTHING` for anyone
    else (a non-superuser without a Staff row sees nothing)."""
    cached = getattr(request, "_landlord_scope", None)
    if cached is not None:
        return cached[0]
    user = request.user
    if user.is_active and user.is_superuser:
        scope = None
    else:
        staff = getattr(user, "staff", None) if getattr(user, "role", None) == "staff" else None
        scope = staff.landlord_id if staff is not None else _NOTHING
    request._landlord_scope = (scope,)
    return scope


class VisibleValuesFieldListFilter(admin.AllValuesFieldListFilter):
    """Values of a related model's field ("residence__city") taken from the visible rows only
    (Django's own filter would list every landlord's)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = (
            model_admin.get_queryset(request)
            .exclude(**{f"{field_path}__isnull": True})
            .order_by(field_path)
            .values_list(field_path, flat=True)
            .distinct()
        )


class VisibleRelatedFieldListFilter(RelatedOnlyFieldListFilter):
    """Related rows present in the visible rows, and of the staff's own landlord when the
    related model is landlord data (an employer partnered with two landlords must not list
    the other one)."""

    def field_choices(self, field, request, model_admin):
        present = (
            model_admin.get_queryset(request)
            .distinct()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        condition = Q(pk__in=present)
        landlord_id = request_landlord_id(request)
        related = field.related_model
        path = landlord_path_for(related, model_admin.admin_site)
        if path is not None and landlord_id is not None:
            if landlord_id is _NOTHING:
                return []
            own = scope_to_landlord(related._default_manager.all(), path, landlord_id)
            condition &= Q(pk__in=own.values("pk"))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=condition, ordering=ordering)


class _ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited to the staff's landlord's rows."""

    def _scope_choices(self, request, db_field, field) -> None:
        if field is None or not hasattr(field, "queryset"):
            return
        path = landlord_path_for(db_field.related_model, self.admin_site)
        landlord_id = request_landlord_id(request)
        if path is None or landlord_id is None:
            return
        if landlord_id is _NOTHING:
            field.queryset = field.queryset.none()
        else:
            field.queryset = scope_to_landlord(field.queryset, path, landlord_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        self._scope_choices(request, db_field, field)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        self._scope_choices(request, db_field, field)
        return field


class LandlordScopedTabularInline(_ScopedChoicesMixin, admin.TabularInline):
    """An inline of a LandlordScopedAdmin: its rows come through the scoped parent; its
    choices are scoped here."""


class LandlordScopedStackedInline(_ScopedChoicesMixin, admin.StackedInline):
    """As LandlordScopedTabularInline, stacked."""


class LandlordScopedAdmin(_ScopedChoicesMixin, admin.ModelAdmin):
    """Base of every ModelAdmin of landlord data; set `landlord_path`."""

    landlord_path: LandlordPath = "landlord"
    # What the "Landlord staff" group may do on this model (Django permission actions).
    staff_permissions: tuple[str, ...] = ("view", "add", "change")

    # --- what a request may see -------------------------------------------------------

    def scope_queryset(self, request, qs: QuerySet, path: LandlordPath | None = None) -> QuerySet:
        landlord_id = request_landlord_id(request)
        if landlord_id is None:
            return qs
        if landlord_id is _NOTHING:
            return qs.none()
        return scope_to_landlord(qs, path or self.landlord_path, landlord_id)

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    # Shown on existing rows only (on the add form they would show a meaningless default).
    metadata_fields: tuple[str, ...] = ("public_id", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name not in self.metadata_fields]
        return fields

    def get_object(self, request, object_id, from_field=None):
        """Out of scope or missing, the answer is the same 404 (never "perhaps deleted")."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def has_add_permission(self, request):
        return request_landlord_id(request) is not _NOTHING and super().has_add_permission(request)

    # --- choices offered in forms and filters -----------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        landlord_id = request_landlord_id(request)
        if (
            field is not None
            and landlord_id not in (None, _NOTHING)
            and db_field.name == self.landlord_path
            and landlord_path_for(db_field.related_model, self.admin_site) == "pk"
        ):
            # The landlord column itself: the staff's own, shown but not choosable. Kept in
            # the form so unique constraints that include it are still validated.
            field.initial = landlord_id
            field.disabled = True
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        landlord_id = request_landlord_id(request)
        if (
            field is not None
            and landlord_id not in (None, _NOTHING)
            and db_field.name == self.landlord_path
        ):
            field.initial = [landlord_id]
        return field

    def get_list_filter(self, request):
        """Related filters list only values present in the visible rows, never another
        landlord's residence names."""
        result = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                try:
                    field = _field_at(self.model, entry)
                except FieldDoesNotExist:
                    field = None
                if field is not None and field.is_relation:
                    entry = (entry, VisibleRelatedFieldListFilter)
                elif field is not None and "__" in entry:
                    entry = (entry, VisibleValuesFieldListFilter)
            result.append(entry)
        return result

    # --- writes ---------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        landlord_id = request_landlord_id(request)
        if landlord_id is None:
            return form_class
        model_admin = self

        class LandlordScopedForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                model_admin.check_instance_landlord(self, landlord_id)

        LandlordScopedForm.__name__ = form_class.__name__
        return LandlordScopedForm

    def check_instance_landlord(self, form, landlord_id) -> None:
        """Refuse a form whose row would belong to another landlord (through any single-valued
        path; many-to-many choices are already limited and kept in save_related)."""
        if landlord_id is _NOTHING:
            form.add_error(None, _("Your account is not attached to a landlord."))
            return
        values = [_landlord_id_of(form.instance, path) for path in _paths(self.landlord_path)]
        if landlord_id in values:
            return
        if all(value is None or value is _NOTHING for value in values):
            # Not chosen yet (required-field errors say so; a direct landlord FK is set in
            # save_model) or only knowable after saving (many-to-many, kept in save_related).
            return
        first = _paths(self.landlord_path)[0].split("__")[0]
        target = first if first in form.fields and first in form.cleaned_data else None
        form.add_error(target, _("This belongs to another landlord."))

    def _direct_landlord_field(self):
        path = self.landlord_path
        if not isinstance(path, str) or "__" in path or path == "pk":
            return None
        try:
            field = self.model._meta.get_field(path)
        except FieldDoesNotExist:
            return None
        return field if field.many_to_one else None

    def save_model(self, request, obj, form, change):
        landlord_id = request_landlord_id(request)
        field = self._direct_landlord_field()
        if landlord_id not in (None, _NOTHING) and field is not None:
            setattr(obj, field.attname, landlord_id)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Many-to-many fields only offered the staff's landlord's rows: keep the rows the
        user could not see (another landlord's partnership), and attach new rows to the
        staff's landlord when the landlord path is that many-to-many."""
        landlord_id = request_landlord_id(request)
        hidden: dict[str, list] = {}
        if landlord_id not in (None, _NOTHING) and change:
            for name, formfield in form.fields.items():
                db_field = _field_or_none(self.model, name)
                if db_field is None or not db_field.many_to_many:
                    continue
                visible = formfield.queryset.values("pk")
                hidden[name] = list(
                    getattr(form.instance, name)
                    .exclude(pk__in=visible)
                    .values_list("pk", flat=True)
                )
        super().save_related(request, form, formsets, change)
        for name, pks in hidden.items():
            if pks:
                getattr(form.instance, name).add(*pks)
        path = self.landlord_path
        if landlord_id not in (None, _NOTHING) and isinstance(path, str) and "__" not in path:
            db_field = _field_or_none(self.model, path)
            if db_field is not None and db_field.many_to_many:
                getattr(form.instance, path).add(landlord_id)


def _field_or_none(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_at(model, lookup: str):
    opts = model._meta
    field = None
    for part in lookup.split("__"):
        field = opts.get_field(part)
        if field.is_relation and field.related_model is not None:
            opts = field.related_model._meta
    return field


def _scoped_admins(
    site: admin.AdminSite,
) -> Iterable[tuple[type[models.Model], LandlordScopedAdmin]]:
    for model, model_admin in site._registry.items():
        if isinstance(model_admin, LandlordScopedAdmin):
            yield model, model_admin


def ensure_landlord_staff_group(site: admin.AdminSite | None = None) -> Group:
    """Create or update the "Landlord staff" group: the permissions each scoped admin lists
    in `staff_permissions`. Data-less and idempotent: run it from the demo seed or a shell."""
    group, _created = Group.objects.get_or_create(name=LANDLORD_STAFF_GROUP)
    wanted = []
    for model, model_admin in _scoped_admins(site or admin.site):
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        codenames = [
            f"{action}_{model._meta.model_name}" for action in model_admin.staff_permissions
        ]
        wanted.extend(Permission.objects.filter(content_type=content_type, codename__in=codenames))
    group.permissions.set(wanted)
    return group
