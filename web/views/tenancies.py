"""Tenancies (admins and community officers, like `accounts.policies.can_manage_tenancies`):
list and search, create, the activation letter, re-issue a code, CSV import.

An activation code exists in clear only in the action's answer: the view keeps it in the
server-side session until the letter page shows it, once."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from services.accounts import actions, households, password_reset, tenancy_end
from services.accounts.selectors import tenancy_list_for_user, tenancy_search_for_user
from services.core import clock
from services.core.errors import DomainError

from ..access import ADMIN, COMMUNITY, get_for_user_or_404, staff_required
from ..forms import add_domain_error
from ..forms.households import TenancyEndForm
from ..forms.tenancies import TenancyForm, TenancyImportForm, TenancySearchForm
from ..pagination import paginate, querystring_without_page

MANAGERS = (ADMIN, COMMUNITY)
_CODES = "web_activation_codes"


def _keep_code_for_letter(request, tenancy, code: str) -> None:
    codes = request.session.get(_CODES, {})
    codes[str(tenancy.public_id)] = code
    request.session[_CODES] = codes


def _take_code(request, tenancy) -> str | None:
    codes = request.session.get(_CODES, {})
    code = codes.pop(str(tenancy.public_id), None)
    if code is not None:
        request.session[_CODES] = codes
    return code


def _context(**extra) -> dict:
    return {"section": "tenancies", "now": clock.now(), **extra}


@staff_required(*MANAGERS)
def tenancy_list(request):
    form = TenancySearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = paginate(request, tenancy_search_for_user(user=request.user, q=q))
    # A search typed with htmx on: only the results are replaced (django-htmx's request.htmx).
    template = "web/tenancies/_results.html" if request.htmx else "web/tenancies/list.html"
    return render(
        request,
        template,
        _context(form=form, page=page, querystring=querystring_without_page(request)),
    )


@staff_required(*MANAGERS)
def tenancy_create(request):
    form = TenancyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.tenancy_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            _keep_code_for_letter(request, created.tenancy, created.activation_code)
            return redirect("web:tenancies:letter", id=created.tenancy.public_id)
    return render(request, "web/tenancies/form.html", _context(form=form))


def _detail(request, tenancy, end_form=None, status=200):
    members = list(households.household_composition(tenancy=tenancy))
    for member in members:
        member.standing = tenancy_end.standing(member)
    end_form = end_form or TenancyEndForm(initial={"end_date": clock.today()})
    return render(
        request,
        "web/tenancies/detail.html",
        _context(tenancy=tenancy, members=members, end_form=end_form),
        status=status,
    )


@staff_required(*MANAGERS)
def tenancy_detail(request, id):
    """The tenancy, its household (names, since when, left or closed: never their job,
    points or inbox) and the form that ends it."""
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    return _detail(request, tenancy)


@staff_required(*MANAGERS)
@require_POST
def tenancy_end_view(request, id):
    """Set the tenancy's last day; its members are told at once (logged: who and when)."""
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    form = TenancyEndForm(request.POST)
    if form.is_valid():
        try:
            tenancy_end.tenancy_end(
                actor=request.user, tenancy=tenancy, end_date=form.cleaned_data["end_date"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The tenancy's end was saved and its household told."))
            return redirect("web:tenancies:detail", id=tenancy.public_id)
    return _detail(request, tenancy, end_form=form, status=400)


@staff_required(*MANAGERS)
@require_POST
def tenancy_reissue_code(request, id):
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    try:
        issued = actions.tenancy_reissue_activation_code(actor=request.user, tenancy=tenancy)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("web:tenancies:detail", id=tenancy.public_id)
    _keep_code_for_letter(request, issued.tenancy, issued.activation_code)
    return redirect("web:tenancies:letter", id=tenancy.public_id)


@staff_required(*MANAGERS)
def tenancy_letter(request, id):
    """The letter to hand over, with the code, printable. Shown once: a reload says so."""
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    response = render(
        request,
        "web/tenancies/letter.html",
        _context(tenancy=tenancy, code=_take_code(request, tenancy)),
    )
    response["Cache-Control"] = "no-store"  # the code must not stay in a cache
    return response


@staff_required(*MANAGERS)
def tenancy_import(request):
    form = TenancyImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.tenancy_import_csv(
                actor=request.user, content=form.cleaned_data["file"].read()
            )
        except DomainError as exc:  # the whole file is unreadable: say it beside the file
            form.add_error("file", str(exc.message))
    response = render(request, "web/tenancies/import.html", _context(form=form, report=report))
    if report is not None:
        response["Cache-Control"] = "no-store"  # the report carries the new codes
    return response


_RESET_CODES = "web_reset_codes"


@staff_required(*MANAGERS)
@require_POST
def tenant_reset_code(request, id, tenant_id):
    """A one-time password reset code for a tenant of this tenancy who cannot read their
    mailbox: printed on a letter, shown once; the row records who issued it and when."""
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    tenant = get_for_user_or_404(tenancy.tenants.select_related("user"), public_id=tenant_id)
    try:
        issued = password_reset.password_reset_code_issue(actor=request.user, tenant=tenant)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("web:tenancies:detail", id=tenancy.public_id)
    codes = request.session.get(_RESET_CODES, {})
    codes[str(tenant.public_id)] = [issued.code, issued.reset.expires_at.isoformat()]
    request.session[_RESET_CODES] = codes
    return redirect("web:tenancies:reset_letter", id=tenancy.public_id, tenant_id=tenant.public_id)


@staff_required(*MANAGERS)
def tenant_reset_letter(request, id, tenant_id):
    """The printable reset letter, with the code, shown once like the activation letter."""
    tenancy = get_for_user_or_404(tenancy_list_for_user(user=request.user), public_id=id)
    tenant = get_for_user_or_404(tenancy.tenants.select_related("user"), public_id=tenant_id)
    codes = request.session.get(_RESET_CODES, {})
    kept = codes.pop(str(tenant.public_id), None)
    if kept is not None:
        request.session[_RESET_CODES] = codes
    code, expires_at = kept if kept else (None, None)
    response = render(
        request,
        "web/tenancies/reset_letter.html",
        _context(
            tenancy=tenancy,
            tenant=tenant,
            code=code,
            expires_at=datetime.datetime.fromisoformat(expires_at) if expires_at else None,
        ),
    )
    response["Cache-Control"] = "no-store"  # the code must not stay in a cache
    return response
