"""The loyalty partners' counter under /partenaire/: a member of a partner (the cinema, the
shop) signs in with the magic link of an e-mail, types the voucher code (or the code read
from the QR the tenant's app shows), sees the reward, its validity and whether it was used,
and validates it once.

As on the employer pages, a link only opens a page with a "Continue" button: the sign-in
happens on the POST. Which vouchers a member sees and validates is decided by
`services.loyalty.partners` and the staff's own `redemption_validate`: another partner's or
another landlord's voucher answers like an unknown code.
"""

from datetime import date, timedelta
from functools import wraps

from django import forms
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import login as session_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST
from sesame.tokens import parse_token

from services.accounts.models import User
from services.core import ratelimit
from services.core.client import client_address
from services.core.errors import DomainError
from services.loyalty import actions, partners
from services.loyalty.notifications import PARTNER_SCOPE

from ..access import SESSION_TOKEN_VERSION, next_path_within
from ..forms.loyalty import VoucherCodeForm
from .loyalty import _csv

HOME = partners.HOME
LINK_REQUESTS_PER_HOUR = 5


def partner_required(view):
    """A signed-in partner member (a session from a magic link), else the page that sends a
    new link. A signed-in user of another kind gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and (
            request.session.get(SESSION_TOKEN_VERSION) != user.token_version
        ):
            logout(request)
        if not request.user.is_authenticated:
            return redirect(f"{reverse('partner:link_request')}?next={request.path}")
        if partners.member_of(request.user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.partner_only = True  # read by the partner authorisation matrix
    return wrapper


def _context(request, **extra) -> dict:
    member = partners.member_of(request.user)
    return {"section": "partner", "partner": member.partner if member else None, **extra}


# --------------------------------------------------------------------------- magic link


@never_cache
@csrf_protect
def magic_link(request):
    """GET: a page with a "Continue" button (nothing checked, nothing consumed, no session).
    POST: the token is checked (signature, age, this member, the partner scope)."""
    token = request.POST.get("sesame") or request.GET.get("sesame") or ""
    next_path = next_path_within(request, HOME)
    if request.method != "POST":
        return render(
            request,
            "web/partner/magic_link.html",
            {"token": token, "next": next_path, "section": "partner"},
        )
    user = parse_token(token, _active_member, scope=PARTNER_SCOPE) if token else None
    if user is None:
        return render(request, "web/partner/link_invalid.html", {"next": next_path}, status=400)
    session_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_TOKEN_VERSION] = user.token_version
    return redirect(next_path)


def _active_member(pk):
    user = (
        get_user_model()
        .objects.filter(pk=pk, is_active=True, role=User.Role.EMPLOYER)
        .select_related("loyalty_partner_member__partner")
        .first()
    )
    return user if user is not None and partners.member_of(user) is not None else None


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"), max_length=254)


@never_cache
@csrf_protect
def link_request(request):
    """Ask for a new link: the same answer whether the address is a member's or not.
    Counted before anything is looked up, per client and per address."""
    next_path = next_path_within(request, HOME)
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"].strip().lower()
        hour = timedelta(hours=1)
        try:
            ratelimit.take(
                ratelimit.Limit(
                    f"partner-link:client:{client_address(request) or 'anonymous'}", 20, hour
                ),
                ratelimit.Limit(f"partner-link:email:{address}", LINK_REQUESTS_PER_HOUR, hour),
            )
        except ratelimit.LimitReached:
            form.add_error(None, _("Too many requests. Try again in an hour."))
        else:
            partners.send_sign_in_link(address=address)
            return render(request, "web/partner/link_sent.html", {"email": address})
    return render(request, "web/partner/link_request.html", {"form": form, "next": next_path})


@require_POST
def sign_out(request):
    logout(request)
    return redirect("partner:link_request")


# --------------------------------------------------------------------------- the counter


@never_cache
@partner_required
def counter(request):
    """Type (or scan) a code, see the reward, its validity and whether it was used; validate
    once. A second validation is refused on the page, with the time of the first."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = VoucherCodeForm(data)
    voucher = refusal = validated = None
    if form.is_valid():
        code = form.cleaned_data["code"]
        if request.method == "POST":
            try:
                validated = partners.voucher_validate(actor=request.user, code=code)
            except DomainError as exc:
                refusal = exc
        voucher = partners.voucher_lookup(user=request.user, code=code)
        if voucher is None:
            form.add_error("code", str(actions.UnknownCode.default_message))
            refusal = None
    return render(
        request,
        "web/partner/counter.html",
        _context(
            request,
            form=form,
            voucher=voucher,
            valid=voucher is not None
            and voucher.status == "issued"
            and voucher.expires_at > timezone.now(),
            refusal=refusal,
            validated=validated,
        ),
    )


def _month(value: str) -> date | None:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1) if 2000 <= year <= 2099 and 1 <= month <= 12 else None
    except ValueError:
        return None


@never_cache
@partner_required
def history(request):
    today = timezone.localdate()
    months = []
    first = today.replace(day=1)
    for _i in range(12):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return render(
        request,
        "web/partner/history.html",
        _context(
            request,
            vouchers=partners.validated_history(user=request.user)[:200],
            months=months,
        ),
    )


@never_cache
@partner_required
def history_csv(request):
    """One month of validated vouchers (`?month=YYYY-MM`, default this month), as CSV;
    cells that would start a spreadsheet formula are neutralised."""
    month = _month(request.GET.get("month", "")) or timezone.localdate().replace(day=1)
    rows = [
        [
            timezone.localtime(v.used_at).strftime("%Y-%m-%d %H:%M"),
            v.code,
            v.reward.title,
            v.validated_by.email if v.validated_by else "",
        ]
        for v in partners.validated_history(user=request.user, month=month)
    ]
    return _csv(
        f"vouchers-{month:%Y-%m}.csv", ["validated_at", "code", "reward", "validated_by"], rows
    )
