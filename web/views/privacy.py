"""Erasing a tenant's data from the console, on the tenant's written request (RGPD art. 17):
administrators and community officers of the tenant's landlord, logged with who and when
(`privacy.Erasure`; docs/privacy.md, "Erasure")."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from services.accounts.selectors import tenancy_list_for_user
from services.core import clock
from services.core.errors import DomainError
from services.privacy import actions

from ..access import ADMIN, COMMUNITY, get_for_user_or_404, staff_required
from ..forms import add_domain_error
from ..forms.privacy import TenantEraseForm


@staff_required(ADMIN, COMMUNITY)
def tenant_erase(request, id, tenant_id):
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    tenant = get_for_user_or_404(tenancy.tenants.select_related("user"), public_id=tenant_id)
    form = TenantEraseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.tenant_erase(
                    actor=request.user,
                    tenant=tenant,
                    request_reference=form.cleaned_data["request_reference"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The tenant's personal data was erased."))
                return redirect("web:tenancies:detail", id=tenancy.public_id)
    return render(
        request,
        "web/tenancies/erase.html",
        {
            "section": "tenancies",
            "now": clock.now(),
            "tenancy": tenancy,
            "tenant": tenant,
            "erased": actions.is_erased(tenant.user),
            "form": form,
        },
        status=status,
    )
