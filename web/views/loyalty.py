"""Loyalty (admins and community officers, like the API's catalogue and reports): the
catalogue (rewards, stock, limits, windows, code pools uploaded as CSV), points granted to a
tenant with a reason, the voucher validation counter, vouchers issued, reports with their
CSV exports and a chart of points earned vs spent per month.

Reads go through `services.loyalty` selectors and reports (scoped to the viewer's landlord:
another landlord's reward, tenant or voucher is a 404 or "no voucher with this code"), each
write through one action that checks its policy again; a refusal is shown as the domain
words it, beside its field.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from services.accounts.roles import landlord_of
from services.core.csvexport import write_csv
from services.core.errors import DomainError
from services.loyalty import actions, partners, reports, selectors
from services.loyalty.models import Redemption

from ..access import ADMIN, COMMUNITY, get_for_user_or_404, staff_required
from ..forms import add_domain_error
from ..forms.loyalty import (
    CodesUploadForm,
    GrantForm,
    RedemptionFilterForm,
    RewardFilterForm,
    RewardForm,
    TenantSearchForm,
    VoucherCodeForm,
)
from ..pagination import paginate, querystring_without_page
from .volunteering import bar_chart

LOYALTY_STAFF = (ADMIN, COMMUNITY)


def _context(**extra) -> dict:
    return {"section": "loyalty", **extra}


def _reward_or_404(request, id):
    return get_for_user_or_404(reports.reward_search_for_user(user=request.user), public_id=id)


# --- Catalogue ---------------------------------------------------------------------------


@staff_required(*LOYALTY_STAFF)
def reward_list(request):
    form = RewardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rewards = reports.reward_search_for_user(
        user=request.user,
        q=filters.get("q", ""),
        kind=filters.get("kind", ""),
        active=filters.get("active", ""),
    )
    return render(
        request,
        "web/loyalty/reward_list.html",
        _context(
            form=form,
            page=paginate(request, rewards),
            querystring=querystring_without_page(request),
        ),
    )


@staff_required(*LOYALTY_STAFF)
def reward_create(request):
    form = RewardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reward = actions.reward_create(
                actor=request.user, landlord=landlord_of(request.user), **form.reward_data()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Reward saved."))
            return redirect("web:loyalty:reward_detail", id=reward.public_id)
    return render(request, "web/loyalty/reward_form.html", _context(form=form, reward=None))


@staff_required(*LOYALTY_STAFF)
def reward_edit(request, id):
    reward = _reward_or_404(request, id)
    form = RewardForm(request.POST or None, reward=reward, initial=RewardForm.initial_for(reward))
    if request.method == "POST" and form.is_valid():
        try:
            actions.reward_update(actor=request.user, reward=reward, **form.reward_data())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Reward saved."))
            return redirect("web:loyalty:reward_detail", id=reward.public_id)
    return render(request, "web/loyalty/reward_form.html", _context(form=form, reward=reward))


def _reward_page(request, reward, *, upload_form=None, upload_result=None):
    return render(
        request,
        "web/loyalty/reward_detail.html",
        _context(
            reward=reward,
            available=selectors.reward_is_available(reward=reward),
            upload_form=upload_form or CodesUploadForm(),
            upload_result=upload_result,
        ),
    )


@staff_required(*LOYALTY_STAFF)
def reward_detail(request, id):
    return _reward_page(request, _reward_or_404(request, id))


@staff_required(*LOYALTY_STAFF)
@require_POST
def codes_upload(request, id):
    """A partner's codes, one per line of a CSV file; duplicates are skipped by the domain."""
    reward = _reward_or_404(request, id)
    form = CodesUploadForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        try:
            result = actions.voucher_codes_upload(
                actor=request.user, reward=reward, codes=form.codes
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    return _reward_page(
        request, _reward_or_404(request, id), upload_form=form, upload_result=result
    )


# --- Tenants and grants ------------------------------------------------------------------


@staff_required(*LOYALTY_STAFF)
def tenant_list(request):
    form = TenantSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "web/loyalty/tenant_list.html",
        _context(
            form=form,
            page=paginate(request, reports.tenant_search_for_user(user=request.user, q=q)),
            querystring=querystring_without_page(request),
        ),
    )


@staff_required(*LOYALTY_STAFF)
def tenant_detail(request, id):
    """A tenant's balance and history, and the grant form (points with a reason)."""
    tenant = selectors.tenant_for_staff(user=request.user, public_id=id)
    if tenant is None:
        raise Http404
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.points_grant(
                actor=request.user,
                tenant=tenant,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Points recorded; the tenant is told."))
            return redirect("web:loyalty:tenant_detail", id=tenant.public_id)
    entries = paginate(request, reports.tenant_entries(user=request.user, tenant=tenant))
    return render(
        request,
        "web/loyalty/tenant_detail.html",
        _context(
            tenant=tenant,
            summary=selectors.account_summary(tenant=tenant),
            form=form,
            page=entries,
            querystring=querystring_without_page(request),
        ),
    )


# --- The voucher counter -----------------------------------------------------------------


@staff_required(*LOYALTY_STAFF)
def counter(request):
    """Type a code, see the reward, its validity and whether it was used; validate once.
    A second validation is refused on the page, with the time of the first."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = VoucherCodeForm(data)
    voucher = refusal = validated = None
    if form.is_valid():
        code = form.cleaned_data["code"]
        if request.method == "POST":
            try:
                validated = actions.redemption_validate(
                    actor=request.user, landlord_id=request.user.staff.landlord_id, code=code
                )
            except DomainError as exc:
                refusal = exc
        voucher = reports.voucher_lookup(user=request.user, code=code)
        if voucher is None:
            form.add_error("code", str(actions.UnknownCode.default_message))
            refusal = None
    return render(
        request,
        "web/loyalty/counter.html",
        _context(
            form=form,
            voucher=voucher,
            valid=voucher is not None and reports.voucher_is_valid(redemption=voucher),
            refusal=refusal,
            validated=validated,
        ),
    )


@staff_required(*LOYALTY_STAFF)
def redemption_list(request):
    form = RedemptionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    redemptions = reports.redemption_search_for_user(
        user=request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    return render(
        request,
        "web/loyalty/redemption_list.html",
        _context(
            form=form,
            page=paginate(request, redemptions),
            querystring=querystring_without_page(request),
            statuses=Redemption.Status,
        ),
    )


# --- Reports -----------------------------------------------------------------------------


def _csv(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_csv(response, header, rows)
    return response


def _report_or_403(report):
    if report is None:  # the role gate let them in; the domain's policy says no
        raise PermissionDenied
    return report


@staff_required(*LOYALTY_STAFF)
def report(request):
    monthly = _report_or_403(reports.points_by_month(user=request.user, months=12))
    labels = [month.strftime("%m/%Y") for month in monthly.months]
    chart = bar_chart(
        labels,
        [
            (_("Earned"), "#15803d", monthly.earned),
            (_("Spent"), "#b45309", monthly.spent),
        ],
    )
    return render(
        request,
        "web/loyalty/report.html",
        _context(
            chart=chart,
            months=list(zip(monthly.months, monthly.rows, strict=True)),
            rewards=_report_or_403(reports.rewards_report(user=request.user)),
        ),
    )


@staff_required(*LOYALTY_STAFF)
def report_points_csv(request):
    monthly = _report_or_403(reports.points_by_month(user=request.user, months=12))
    return _csv(
        "loyalty-points.csv",
        selectors.POINTS_REPORT_COLUMNS,
        [[row[c] for c in selectors.POINTS_REPORT_COLUMNS] for row in monthly.rows],
    )


@staff_required(*LOYALTY_STAFF)
def report_rewards_csv(request):
    rows = _report_or_403(reports.rewards_report(user=request.user))
    return _csv(
        "loyalty-rewards.csv",
        selectors.REWARDS_REPORT_COLUMNS,
        [[row[c] for c in selectors.REWARDS_REPORT_COLUMNS] for row in rows],
    )


# --- Partners (issue 13): businesses that validate their rewards' vouchers -------------------


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Partner's name"), max_length=200)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=255, required=False)


class PartnerInviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)


def _partner_or_404(request, id):
    return get_for_user_or_404(partners.partner_list_for_user(user=request.user), public_id=id)


@staff_required(*LOYALTY_STAFF)
def partner_list(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = partners.partner_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Partner created. Invite the people at its counter."))
            return redirect("web:loyalty:partner_detail", id=partner.public_id)
    return render(
        request,
        "web/loyalty/partner_list.html",
        _context(
            form=form,
            partners=partners.partner_list_for_user(user=request.user).prefetch_related(
                "members__user", "rewards"
            ),
        ),
    )


@staff_required(*LOYALTY_STAFF)
def partner_detail(request, id):
    """The partner's members (invite one: an e-mail with a sign-in link) and the rewards it
    honours (its members validate those vouchers and no other)."""
    partner = _partner_or_404(request, id)
    rewards = reports.reward_search_for_user(user=request.user)
    invite_form = PartnerInviteForm(request.POST if "email" in request.POST else None)
    if request.method == "POST" and "rewards_sent" in request.POST:
        chosen = request.POST.getlist("rewards")
        partners.partner_rewards_set(
            actor=request.user,
            partner=partner,
            rewards=[r for r in rewards if str(r.public_id) in chosen],
        )
        messages.success(request, _("Rewards saved."))
        return redirect("web:loyalty:partner_detail", id=partner.public_id)
    if request.method == "POST" and invite_form.is_valid():
        try:
            member = partners.partner_member_invite(
                actor=request.user, partner=partner, **invite_form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(invite_form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s with a sign-in link.")
                % {"email": member.user.email},
            )
            return redirect("web:loyalty:partner_detail", id=partner.public_id)
    return render(
        request,
        "web/loyalty/partner_detail.html",
        _context(
            partner=partner,
            members=partner.members.select_related("user"),
            rewards=rewards,
            invite_form=invite_form,
        ),
    )
