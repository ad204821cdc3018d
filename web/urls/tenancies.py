"""Tenancies: list, create, the activation letter, re-issue a code, CSV import."""

from django.urls import path

from ..views import privacy, tenancies

app_name = "tenancies"

urlpatterns = [
    path("", tenancies.tenancy_list, name="list"),
    path("new/", tenancies.tenancy_create, name="create"),
    path("import/", tenancies.tenancy_import, name="import"),
    path("<uuid:id>/", tenancies.tenancy_detail, name="detail"),
    path("<uuid:id>/letter/", tenancies.tenancy_letter, name="letter"),
    path("<uuid:id>/reissue-code/", tenancies.tenancy_reissue_code, name="reissue_code"),
    path("<uuid:id>/end/", tenancies.tenancy_end_view, name="end"),
    path(
        "<uuid:id>/tenants/<uuid:tenant_id>/reset-code/",
        tenancies.tenant_reset_code,
        name="reset_code",
    ),
    path(
        "<uuid:id>/tenants/<uuid:tenant_id>/reset-letter/",
        tenancies.tenant_reset_letter,
        name="reset_letter",
    ),
    path(
        "<uuid:id>/tenants/<uuid:tenant_id>/erase/",
        privacy.tenant_erase,
        name="erase",
    ),
]
