"""Jobs (admins and job advisors, like the API): partner employers and their invitations,
offers (ROME title search as you type), an offer's ranked anonymised candidates with
"propose to the employer" in one click, the pipeline of matches, a match's history, stats.

Every read goes through `services.jobs` selectors and reports (scoped to the viewer's
landlord: another landlord's offer or match is a 404), every write through one action that
checks its policy again; a refusal is shown as the domain words it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from services.accounts import actions as accounts
from services.accounts import employers as employer_accounts
from services.accounts.selectors import employer_list_for_user, employer_member_list_for_user
from services.core import clock
from services.core.errors import DomainError
from services.jobs import actions, reports, selectors, transitions
from services.jobs.matching import localized_reasons
from services.jobs.models import Match

from ..access import ADMIN, JOB_ADVISOR, get_for_user_or_404, staff_required
from ..forms import add_domain_error
from ..forms.employer_team import StaffInviteForm
from ..forms.jobs import (
    EmployerForm,
    EmployerSearchForm,
    MatchFilterForm,
    OfferFilterForm,
    OfferForm,
    OfferStatusForm,
)
from ..pagination import paginate, querystring_without_page

JOB_STAFF = (ADMIN, JOB_ADVISOR)


def _context(**extra) -> dict:
    return {"section": "jobs", **extra}


def _offer_or_404(request, id):
    return get_for_user_or_404(selectors.offer_list_for_user(user=request.user), public_id=id)


def _match_or_404(request, id):
    return get_for_user_or_404(selectors.match_list_for_user(user=request.user), public_id=id)


def _back(request, default: str) -> str:
    """Where a one-click action returns to: the page it was clicked on, if it is ours."""
    target = request.POST.get("next", "")
    # A bare word would pass the host check and be looked up as a view name by redirect().
    if target.startswith("/console/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _add_domain_error(form, exc: DomainError) -> None:
    """The domain's message beside each field it names. The jobs actions name the field and
    give the offending value (e.g. `{"rome_code": ["Z9999"]}`), so the message is what is
    shown; a field this form does not have gets it at the top."""
    names = [getattr(form, "FIELD_OF", {}).get(n, n) for n in (exc.fields or {})]
    placed = [name for name in dict.fromkeys(names) if name in form.fields]
    for name in placed:
        form.add_error(name, str(exc.message))
    if not placed:
        form.add_error(None, str(exc.message))


def _add_validation_error(form, exc: ValidationError) -> None:
    """A model check the action ran (e.g. salary range) beside the form's own field."""
    for name, errors in exc.message_dict.items():
        name = getattr(form, "FIELD_OF", {}).get(name, name)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


# --- Employers ---------------------------------------------------------------------------


@staff_required(*JOB_STAFF)
def employer_list(request):
    form = EmployerSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = paginate(request, reports.employer_search_for_user(user=request.user, q=q))
    return render(
        request,
        "web/jobs/employer_list.html",
        _context(form=form, page=page, querystring=querystring_without_page(request)),
    )


@staff_required(*JOB_STAFF)
def employer_create(request):
    form = EmployerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            employer = accounts.employer_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Employer registered as your partner."))
            return redirect("web:jobs:employer_detail", id=employer.public_id)
    return render(request, "web/jobs/employer_form.html", _context(form=form))


def _employer_page(request, employer, *, invite_form=None, status=200):
    offers = reports.offer_search_for_user(user=request.user, employer=str(employer.public_id))
    return render(
        request,
        "web/jobs/employer_detail.html",
        _context(
            employer=employer,
            members=employer_member_list_for_user(user=request.user, employer=employer),
            invitations=reports.employer_invitations_for_user(user=request.user, employer=employer)[
                :20
            ],
            offers=offers[:20],
            invite_form=invite_form or StaffInviteForm(),
            now=clock.now(),
        ),
        status=status,
    )


@staff_required(*JOB_STAFF)
def employer_detail(request, id):
    employer = get_for_user_or_404(employer_list_for_user(user=request.user), public_id=id)
    return _employer_page(request, employer)


@staff_required(*JOB_STAFF)
@require_POST
def employer_invite(request, id):
    """Invite someone by e-mail, in the landlord's name: they accept from the e-mail's link
    (no code to pass on). A refused address is shown beside the field, as typed."""
    employer = get_for_user_or_404(employer_list_for_user(user=request.user), public_id=id)
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            employer_accounts.employer_invitation_send(
                actor=request.user, employer=employer, email=form.cleaned_data["email"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to {email}.").format(email=form.cleaned_data["email"]),
            )
            return redirect("web:jobs:employer_detail", id=employer.public_id)
    return _employer_page(request, employer, invite_form=form)


@staff_required(*JOB_STAFF)
@require_POST
def employer_member_access(request, id, member_id):
    """Approve a member for the viewer's landlord (e.g. a colleague another member invited:
    they reach no landlord's candidates until its staff approve them), or withdraw it."""
    employer = get_for_user_or_404(employer_list_for_user(user=request.user), public_id=id)
    member = get_for_user_or_404(
        employer_member_list_for_user(user=request.user, employer=employer), public_id=member_id
    )
    try:
        if request.POST.get("grant") == "0":
            accounts.partner_access_revoke(actor=request.user, member=member)
            done = _("{name} no longer reaches your candidates.")
        else:
            accounts.partner_access_grant(actor=request.user, member=member)
            done = _("{name} now reaches your candidates.")
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done.format(name=member.user.full_name or member.user.email))
    return redirect("web:jobs:employer_detail", id=employer.public_id)


# --- Offers ------------------------------------------------------------------------------


@staff_required(*JOB_STAFF)
def offer_list(request):
    form = OfferFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    offers = reports.offer_search_for_user(
        user=request.user,
        status=filters.get("status", ""),
        employer=filters.get("employer", ""),
        q=filters.get("q", ""),
    )
    page = paginate(request, offers)
    return render(
        request,
        "web/jobs/offer_list.html",
        _context(form=form, page=page, querystring=querystring_without_page(request)),
    )


def _rome_choices(form) -> dict:
    """What the ROME part of the offer form shows: the chosen title, and the search's
    results when the form was sent with "Search" (the page without JavaScript)."""
    code = form["appellation"].value() or ""
    chosen = reports.rome_title(code=code) if code else None
    results = []
    if form.data.get("rome_lookup") is not None:
        results = selectors.rome_search(q=form.data.get("rome_search", ""), limit=15)
    return {"rome_chosen": chosen, "rome_results": results}


def _save_offer(request, form, *, offer=None):
    """Call the action; the offer on success, None when the form shows the refusal."""
    editing = offer is not None
    data = form.offer_data(editing=editing)
    if "publish" in request.POST:
        data["status"] = "published"
    try:
        if editing:
            return actions.offer_update(actor=request.user, offer=offer, data=data)
        return actions.offer_create(
            actor=request.user, employer=form.cleaned_data["employer"], data=data
        )
    except DomainError as exc:
        _add_domain_error(form, exc)
    except ValidationError as exc:
        _add_validation_error(form, exc)
    return None


@staff_required(*JOB_STAFF)
def offer_create(request):
    form = OfferForm(
        request.POST or None, user=request.user, initial={"employer": request.GET.get("employer")}
    )
    searching = "rome_lookup" in request.POST
    if request.method == "POST" and not searching and form.is_valid():
        offer = _save_offer(request, form)
        if offer is not None:
            messages.success(request, _("Offer saved."))
            return redirect("web:jobs:offer_detail", id=offer.public_id)
    return render(
        request,
        "web/jobs/offer_form.html",
        _context(form=form, offer=None, **_rome_choices(form)),
    )


@staff_required(*JOB_STAFF)
def offer_edit(request, id):
    offer = _offer_or_404(request, id)
    form = OfferForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial=OfferForm.initial_for(offer),
    )
    searching = "rome_lookup" in request.POST
    if request.method == "POST" and not searching and form.is_valid():
        saved = _save_offer(request, form, offer=offer)
        if saved is not None:
            messages.success(request, _("Offer saved."))
            return redirect("web:jobs:offer_detail", id=saved.public_id)
    return render(
        request,
        "web/jobs/offer_form.html",
        _context(
            form=form,
            offer=offer,
            rights=reports.offer_rights(user=request.user, offer=offer),
            **_rome_choices(form),
        ),
    )


@staff_required(*JOB_STAFF)
@require_GET
def rome_search(request):
    """The ROME search as you type (htmx fragment; a full page only for a direct visit)."""
    q = request.GET.get("rome_search", request.GET.get("q", ""))[:100]
    results = selectors.rome_search(q=q, limit=15) if len(q.strip()) >= 2 else []
    return render(request, "web/jobs/_rome_results.html", _context(rome_results=results, q=q))


def _form_refusal(form) -> DomainError:
    """A form's first error, shown like the domain's refusals on the offer page."""
    return DomainError(next(iter(form.errors.values()))[0])


def _offer_page(request, offer, *, error=None, status=200):
    counts = reports.match_counts_by_state(user=request.user, offer=str(offer.public_id))
    return render(
        request,
        "web/jobs/offer_detail.html",
        _context(
            offer=offer,
            rights=reports.offer_rights(user=request.user, offer=offer),
            next_statuses=sorted(actions.OFFER_STATUS_STEPS.get(offer.status, ())),
            counts=[(state, label, counts[state]) for state, label in Match.State.choices],
            open_matches=sum(counts[state] for state in transitions.OPEN_STATES),
            error=error,
        ),
        status=status,
    )


@staff_required(*JOB_STAFF)
def offer_detail(request, id):
    return _offer_page(request, _offer_or_404(request, id))


@staff_required(*JOB_STAFF)
@require_POST
def offer_status(request, id):
    """Publish, pause, mark filled or close: only the offer's owners may (the domain says
    so, and offers a landlord that does not own it to leave it instead)."""
    offer = _offer_or_404(request, id)
    form = OfferStatusForm(request.POST)
    if not form.is_valid():
        return _offer_page(request, offer, error=_form_refusal(form), status=400)
    try:
        actions.offer_update(actor=request.user, offer=offer, data=form.cleaned_data)
    except DomainError as exc:
        return _offer_page(request, _offer_or_404(request, id), error=exc)
    messages.success(request, _("Offer status changed."))
    return redirect("web:jobs:offer_detail", id=offer.public_id)


@staff_required(*JOB_STAFF)
@require_POST
def offer_untarget(request, id):
    offer = _offer_or_404(request, id)
    try:
        actions.offer_untarget(actor=request.user, offer=offer)
    except DomainError as exc:
        return _offer_page(request, offer, error=exc)
    messages.success(request, _("Your landlord no longer takes part in this offer."))
    # The offer may still be listed (created by this landlord) or be gone from the list.
    return redirect("web:jobs:offers")


# --- Candidates and proposals ------------------------------------------------------------


@staff_required(*JOB_STAFF)
def offer_candidates(request, id):
    offer = _offer_or_404(request, id)
    cards = selectors.offer_candidates(user=request.user, offer=offer, limit=20)
    return render(
        request,
        "web/jobs/candidates.html",
        _context(offer=offer, cards=cards, rank_start=1),
    )


def _action_fragment(request, *, offer, match, error=None, status=200):
    return render(
        request,
        "web/jobs/_candidate_action.html",
        _context(offer=offer, match=match, error=error, fragment=True),
        status=status,
    )


@staff_required(*JOB_STAFF)
@require_POST
def candidate_suggest(request, id, profile_id):
    """Suggest the offer to a candidate: the tenant is asked whether they are interested."""
    offer = _offer_or_404(request, id)
    back = _back(request, reverse("web:jobs:offer_candidates", args=[offer.public_id]))
    try:
        match = actions.match_suggest(user=request.user, offer=offer, profile_id=profile_id)
    except DomainError as exc:
        if request.htmx:
            return _action_fragment(request, offer=offer, match=None, error=exc)
        messages.error(request, str(exc.message))
        return redirect(back)
    if request.htmx:
        return _action_fragment(request, offer=offer, match=match)
    messages.success(request, _("The offer was suggested to the tenant."))
    return redirect(back)


@staff_required(*JOB_STAFF)
@require_POST
def match_propose(request, id):
    """Propose an interested tenant to the employer, in one click."""
    match = _match_or_404(request, id)
    back = _back(request, reverse("web:jobs:match_detail", args=[match.public_id]))
    try:
        match = actions.match_propose(
            user=request.user, match=match, expected_state=Match.State.INTERESTED
        )
    except DomainError as exc:
        if request.htmx:
            fresh = _match_or_404(request, id)
            return _action_fragment(request, offer=fresh.offer, match=fresh, error=exc)
        messages.error(request, str(exc.message))
        return redirect(back)
    if request.htmx:
        return _action_fragment(request, offer=match.offer, match=match)
    messages.success(request, _("The candidate was proposed to the employer."))
    return redirect(back)


# --- Pipeline, history, stats ------------------------------------------------------------


@staff_required(*JOB_STAFF)
def pipeline(request):
    form = MatchFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    offer_filter = str(filters["offer"]) if filters.get("offer") else ""
    matches = reports.match_search_for_user(
        user=request.user, state=filters.get("state", ""), offer=offer_filter
    )
    counts = reports.match_counts_by_state(user=request.user, offer=offer_filter)
    offer = None
    if offer_filter:
        offer = (
            selectors.offer_list_for_user(user=request.user).filter(public_id=offer_filter).first()
        )
    return render(
        request,
        "web/jobs/pipeline.html",
        _context(
            form=form,
            page=paginate(request, matches),
            querystring=querystring_without_page(request),
            counts=[(state, label, counts[state]) for state, label in Match.State.choices],
            total=sum(counts.values()),
            current_state=filters.get("state", ""),
            offer=offer,
            offer_filter=offer_filter,
        ),
    )


@staff_required(*JOB_STAFF)
def match_detail(request, id):
    match = _match_or_404(request, id)
    return render(
        request,
        "web/jobs/match_detail.html",
        _context(
            match=match,
            offer=match.offer,
            reasons=localized_reasons(match.reasons),
            history=selectors.match_transitions(match=match, side="staff"),
            next_states=transitions.allowed_targets(state=match.state, side="staff"),
        ),
    )


# The chart's geometry (presentation only: the numbers come from the report).
CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 720, 300, 16, 40, 40
CHART_COLOURS = ("#1d4ed8", "#7c3aed", "#0e7490", "#b45309", "#15803d", "#b91c1c")


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if value <= step:
            return step
    return ((value // 5000) + 1) * 5000


def _chart(report: reports.WeeklyStates, labels: dict) -> dict:
    """Stacked bars, one per week; each state a colour, listed in the legend."""
    totals = [sum(week.values()) for week in report.counts]
    top = _nice_max(max([*totals, 1]))
    plot_h = CHART_H - CHART_TOP - CHART_BOTTOM
    slot = (CHART_W - CHART_LEFT) / len(report.weeks)
    bars = []
    for index, (monday, week) in enumerate(zip(report.weeks, report.counts, strict=True)):
        y = CHART_TOP + plot_h
        parts = []
        for state, colour in zip(report.states, CHART_COLOURS, strict=True):
            h = week[state] / top * plot_h
            if week[state]:
                y -= h
                parts.append(
                    {
                        "y": round(y, 1),
                        "h": round(h, 1),
                        "colour": colour,
                        "title": f"{labels[state]}: {week[state]}",
                    }
                )
        bars.append(
            {
                "x": round(CHART_LEFT + index * slot + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "label_x": round(CHART_LEFT + index * slot + slot / 2, 1),
                "monday": monday,
                "parts": parts,
                "total": totals[index],
            }
        )
    ticks = [
        {"value": top * i // 4, "y": round(CHART_TOP + plot_h - plot_h * i / 4, 1)}
        for i in range(5)
    ]
    return {
        "w": CHART_W,
        "h": CHART_H,
        "left": CHART_LEFT,
        "base_y": CHART_TOP + plot_h,
        "label_y": CHART_TOP + plot_h + 18,
        "bars": bars,
        "ticks": ticks,
        "legend": [
            {"label": labels[state], "colour": colour}
            for state, colour in zip(report.states, CHART_COLOURS, strict=True)
        ],
    }


@staff_required(*JOB_STAFF)
def stats(request):
    labels = dict(Match.State.choices)
    weekly = reports.match_states_by_week(user=request.user, weeks=12)
    numbers = selectors.job_stats(user=request.user)
    rows = [
        {
            "monday": monday,
            "cells": [week[state] for state in weekly.states],
            "total": sum(week.values()),
        }
        for monday, week in zip(weekly.weeks, weekly.counts, strict=True)
    ]
    return render(
        request,
        "web/jobs/stats.html",
        _context(
            stats=numbers,
            by_state=[(labels[s], n) for s, n in numbers["matches_by_state"].items()],
            chart=_chart(weekly, labels),
            columns=[labels[state] for state in weekly.states],
            rows=rows,
        ),
    )
