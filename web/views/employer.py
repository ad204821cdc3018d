"""The employer pages under /espace/: a member signs in with the magic link of an e-mail
(django-sesame) and answers the candidates proposed to their company.

A link only opens a page with a "Continue" button: the sign-in happens on the POST, so a
mail scanner that opens links (GET) signs nobody in and consumes nothing. Which matches a
member sees is the jobs area's selector (`match_list_for_user`: their company's proposed
matches, for the landlords that granted them access); another company's match is a 404.
"""

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import login as session_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from sesame.tokens import parse_token

from notifications import email as email_channel
from notifications import services as notifications
from notifications.kinds import SIGN_IN_LINK
from services.accounts.models import User
from services.accounts.roles import member_of
from services.core import ratelimit
from services.core.client import client_address
from services.core.errors import DomainError
from services.core.extensions import volunteer_hours_for
from services.jobs import actions as jobs
from services.jobs import selectors as jobs_selectors
from services.jobs.matching import localized_reasons
from services.jobs.models import Match

from ..access import SESSION_TOKEN_VERSION, get_for_user_or_404, next_path_within
from ..forms import add_domain_error
from ..forms.employer import InterviewForm, OutcomeForm

HOME = "/espace/"
# Asking for a new link: per client and per address, so nobody floods a member's mailbox.
LINK_REQUESTS_PER_HOUR = 5


def is_employer_member(user) -> bool:
    return member_of(user) is not None


def employer_required(view):
    """A signed-in employer member (a session from a magic link), else the page that sends
    a new link. A signed-in user of another role gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and (
            request.session.get(SESSION_TOKEN_VERSION) != user.token_version
        ):
            logout(request)
        if not request.user.is_authenticated:
            return redirect(f"{reverse('employer:link_request')}?next={request.path}")
        if not is_employer_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.employer_only = True  # read by the employer authorisation matrix
    return wrapper


# --------------------------------------------------------------------------- magic link


@never_cache
@csrf_protect
def magic_link(request):
    """GET: a page with a "Continue" button (nothing checked, nothing consumed, no session).
    POST: the token is checked (signature, age, this member, the scope) and signs them in."""
    token = request.POST.get("sesame") or request.GET.get("sesame") or ""
    next_path = next_path_within(request, HOME)
    if request.method != "POST":
        return render(
            request,
            "web/employer/magic_link.html",
            {"token": token, "next": next_path, "section": "employer"},
        )
    user = (
        parse_token(token, _active_member, scope=email_channel.MAGIC_LINK_SCOPE) if token else None
    )
    if user is None:
        return render(request, "web/employer/link_invalid.html", {"next": next_path}, status=400)
    session_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_TOKEN_VERSION] = user.token_version
    return redirect(next_path)


def _active_member(pk):
    """The user a valid token names, if they are still an active employer member. Tokens are
    checked here, not by an authentication backend: a token opens these pages, nothing else."""
    user = (
        get_user_model()
        .objects.filter(pk=pk, is_active=True, role=User.Role.EMPLOYER)
        .select_related("employer_member")
        .first()
    )
    return user if user is not None and is_employer_member(user) else None


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"), max_length=254)


@never_cache
@csrf_protect
def link_request(request):
    """Ask for a new link: the same answer whether the address is a member's or not."""
    next_path = next_path_within(request, HOME)
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"].strip().lower()
        try:
            _send_link(address, client_key=client_address(request))
        except ratelimit.LimitReached:
            form.add_error(None, _("Too many requests. Try again in an hour."))
        else:
            return render(request, "web/employer/link_sent.html", {"email": address}, status=200)
    return render(request, "web/employer/link_request.html", {"form": form, "next": next_path})


def _send_link(address: str, *, client_key: str) -> None:
    """Counted for every request (found or not), so the limit says nothing about who exists."""
    hour = timedelta(hours=1)
    ratelimit.take(
        ratelimit.Limit(f"espace-link:client:{client_key or 'anonymous'}", 20, hour),
        ratelimit.Limit(f"espace-link:email:{address}", LINK_REQUESTS_PER_HOUR, hour),
    )
    member = (
        get_user_model()
        .objects.filter(
            email__iexact=address,
            role=User.Role.EMPLOYER,
            is_active=True,
            employer_member__isnull=False,
        )
        .first()
    )
    if member is not None:
        with transaction.atomic():
            notifications.notify(recipients=[member], kind=SIGN_IN_LINK)


@require_POST
def sign_out(request):
    logout(request)
    return redirect("employer:link_request")


# --------------------------------------------------------------------------- candidates


def _card(match: Match) -> dict:
    """What a member reads of a proposed match: the offer, the step, the fit. Never who the
    tenant is (the staff introduce them; the API logs any view of their contact details)."""
    return {
        "id": match.public_id,
        "offer": match.offer.title,
        "state": match.get_state_display(),
        "state_code": match.state,
        "proposed_at": match.proposed_at,
        "score": match.score,
        "reasons": [reason["label"] for reason in localized_reasons(match.reasons)],
        "can_answer": match.state in (Match.State.PROPOSED, Match.State.POSTPONED),
    }


@never_cache
@employer_required
def candidates(request):
    matches = jobs_selectors.match_list_for_user(user=request.user).order_by("-proposed_at", "-id")
    return render(
        request,
        "web/employer/candidates.html",
        {
            "cards": [_card(m) for m in matches[:200]],
            "company": request.user.employer_member.employer.name,
            "section": "employer",
        },
    )


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Your answer"),
        choices=[
            ("interested", gettext_lazy("Interested: I would like to meet this candidate")),
            ("postponed", gettext_lazy("Later: I will answer in a few days")),
            ("declined", gettext_lazy("Declined")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason (if declined)"),
        choices=[("", "—"), *Match.DeclineReason.choices],
        required=False,
    )
    message = forms.CharField(
        label=gettext_lazy("Message (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason_visible_to_tenant = forms.BooleanField(
        label=gettext_lazy("The candidate may read the reason"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "declined" and not data.get("reason"):
            self.add_error("reason", _("Choose a reason."))
        return data


@never_cache
@employer_required
def candidate(request, id):
    """One proposed candidate: answer it, then (once interested) propose an interview, then
    say hired or not. Each step is the jobs workflow's; the posted `step` names the form."""
    match = get_for_user_or_404(jobs_selectors.match_list_for_user(user=request.user), public_id=id)
    step = request.POST.get("step", "answer") if request.method == "POST" else None
    form = AnswerForm(request.POST if step == "answer" else None)
    interview_form = InterviewForm(request.POST if step == "interview" else None)
    outcome_form = OutcomeForm(request.POST if step == "outcome" else None)
    posted = {"answer": form, "interview": interview_form, "outcome": outcome_form}.get(step)
    if posted is not None and posted.is_valid():
        try:
            _apply(request.user, match, step, posted.cleaned_data)
        except DomainError as exc:
            add_domain_error(posted, exc)
        else:
            messages.success(request, str(STEP_DONE[step]))
            return redirect("employer:candidate", id=match.public_id)
    # The domain decides whether the identity is shown, and logs each view (as for the API).
    (seen,) = jobs.matches_show(viewer=request.user, matches=[match])
    candidate = seen.candidate
    contact = (
        {"name": candidate.name, "email": candidate.email, "phone": candidate.phone}
        if candidate.revealed
        else None
    )
    card = _card(match)
    # Validated volunteer hours, as on the API's candidate card (the "anonymised card").
    card["volunteer_hours"] = volunteer_hours_for([match.tenant_id]).get(match.tenant_id, 0)
    return render(
        request,
        "web/employer/candidate.html",
        {
            "card": card,
            "form": form,
            "interview_form": interview_form,
            "outcome_form": outcome_form,
            # Once planned, another date may be proposed (the tenant may ask for one).
            "can_plan_interview": match.state
            in (Match.State.EMPLOYER_INTERESTED, Match.State.INTERVIEW),
            "interview_answer": match.get_interview_answer_display()
            if match.state == Match.State.INTERVIEW
            else "",
            # The tenant's own words may name them: shown as the contact details are.
            "interview_answer_message": match.interview_answer_message if contact else "",
            "can_conclude": match.state == Match.State.INTERVIEW,
            "interview_at": match.interview_at,
            "interview_place": match.interview_place,
            "hire_start_date": match.hire_start_date,
            "contact": contact,
            "section": "employer",
        },
    )


STEP_DONE = {
    "answer": gettext_lazy("Your answer was sent to the landlord."),
    "interview": gettext_lazy("The interview was sent to the candidate."),
    "outcome": gettext_lazy("Thank you: the outcome was recorded."),
}


def _apply(user, match: Match, step: str, data: dict) -> None:
    if step == "answer":
        jobs.match_answer(
            user=user,
            match=match,
            decision=data["decision"],
            reason=data["reason"],
            message=data["message"],
            reason_visible_to_tenant=data["reason_visible_to_tenant"],
            expected_state=match.state,
        )
    elif step == "interview":
        jobs.match_move(
            user=user,
            match=match,
            to=Match.State.INTERVIEW,
            expected_state=match.state,
            data={"interview_at": data["interview_at"], "interview_place": data["place"]},
        )
    else:
        hired = data["outcome"] == "hired"
        jobs.match_move(
            user=user,
            match=match,
            to=Match.State.HIRED if hired else Match.State.NOT_HIRED,
            expected_state=Match.State.INTERVIEW,
            data={"hire_start_date": data["start_date"]} if hired else {},
        )


# My offers (/espace/offres/) are in web/views/employer_offers.py.


# --------------------------------------------------------------------------- e-mail switch


@csrf_exempt  # the signed token in the address is the credential (RFC 8058 one-click POST)
@never_cache
def email_preferences(request, token):
    """The link in every e-mail's footer and its List-Unsubscribe header: switch this
    category's e-mails off (or back on). A mail provider's one-click unsubscribe POSTs
    `List-Unsubscribe=One-Click` here."""
    found = email_channel.preferences_read(token)
    if found is None:
        return render(request, "web/employer/link_invalid.html", {"next": HOME}, status=404)
    user_id, category = found
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return render(request, "web/employer/link_invalid.html", {"next": HOME}, status=404)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        enabled = not one_click and request.POST.get("enabled") == "1"
        try:
            notifications.preferences_update(
                user=user,
                switches=[{"category": category, "channel": "email", "enabled": enabled}],
            )
        except DomainError as exc:  # a locked category (account messages) stays on
            messages.error(request, exc.message)
            return redirect("employer:email_preferences", token=token)
        if one_click:
            return render(request, "web/employer/unsubscribed.html", {}, status=200)
        messages.success(request, _("Your choice was saved."))
        return redirect("employer:email_preferences", token=token)
    return render(
        request,
        "web/employer/email_preferences.html",
        {
            "category": category,
            "category_label": notifications.category_label(category),
            "enabled": notifications.email_enabled(user=user, category=category),
            "locked": category in notifications.LOCKED_CATEGORIES,
        },
    )
