"""Volunteering (admins and community officers, like the API): missions and their slots,
a slot's sign-ups and waitlist, the attendance sheet at the door (htmx, one tap per person),
the rotating check-in code shown large and as a QR code, tenants' initiatives, hours per month.

Reads go through `services.volunteering` selectors and reports (scoped to the viewer's
landlord: another landlord's mission or slot is a 404), each write through one action that
checks its policy again; a refusal is shown as the domain words it.
"""

import uuid

import segno
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.core import clock
from services.core.errors import DomainError
from services.volunteering import actions, reports, selectors
from services.volunteering.models import Mission, Slot

from ..access import ADMIN, COMMUNITY, get_for_user_or_404, staff_required
from ..forms.volunteering import (
    InitiativeReviewForm,
    MissionFilterForm,
    MissionForm,
    SignupFilterForm,
    SlotForm,
)
from ..pagination import paginate, querystring_without_page

MISSION_STAFF = (ADMIN, COMMUNITY)
# The domain names a slot problem "slots"; these forms show it beside the slot's start.
FIELD_OF = {"slots": "starts_at", "signup": None}


def _context(**extra) -> dict:
    return {"section": "volunteering", **extra}


def _mission_or_404(request, id) -> Mission:
    return get_for_user_or_404(selectors.mission_list_for_user(user=request.user), public_id=id)


def _slot_or_404(request, id) -> Slot:
    return get_for_user_or_404(selectors.slot_list_for_user(user=request.user), public_id=id)


def _add_domain_error(form, exc: DomainError) -> None:
    placed = False
    for name, errors in (exc.fields or {}).items():
        name = FIELD_OF.get(name, name)
        if name in form.fields:
            items = errors if isinstance(errors, list | tuple) else [errors]
            # The domain gives its message or the offending ids: its message reads better.
            text = [str(e) for e in items if " " in str(e)] or [str(exc.message)]
            for message in text:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


# --- Missions ----------------------------------------------------------------------------


@staff_required(*MISSION_STAFF)
def mission_list(request):
    form = MissionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    missions = reports.mission_search_for_user(
        user=request.user,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        category=filters.get("category", ""),
    )
    return render(
        request,
        "web/volunteering/mission_list.html",
        _context(
            form=form,
            page=paginate(request, missions),
            querystring=querystring_without_page(request),
        ),
    )


@staff_required(*MISSION_STAFF)
def mission_create(request):
    form = MissionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.mission_data()
        if "publish" in request.POST:
            data["status"] = Mission.Status.PUBLISHED
        try:
            mission = actions.mission_create(
                actor=request.user,
                data=data,
                slots=[form.slot_data()],
                residence=form.residence_id(),
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("Mission saved."))
            return redirect("web:volunteering:mission_detail", id=mission.public_id)
    return render(request, "web/volunteering/mission_form.html", _context(form=form, mission=None))


@staff_required(*MISSION_STAFF)
def mission_edit(request, id):
    mission = _mission_or_404(request, id)
    form = MissionForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial=MissionForm.initial_for(mission),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.mission_update(
                actor=request.user,
                mission=mission,
                data=form.mission_data(),
                residence=form.residence_id(),
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("Mission saved."))
            return redirect("web:volunteering:mission_detail", id=mission.public_id)
    return render(
        request, "web/volunteering/mission_form.html", _context(form=form, mission=mission)
    )


def _mission_page(request, mission, *, error=None, slot_form=None, status=200):
    return render(
        request,
        "web/volunteering/mission_detail.html",
        _context(
            mission=mission,
            slots=mission.slot_list,
            next_statuses=sorted(actions.TRANSITIONS.get(mission.status, ())),
            error=error,
            slot_form=slot_form or SlotForm(),
        ),
        status=status,
    )


@staff_required(*MISSION_STAFF)
def mission_detail(request, id):
    return _mission_page(request, _mission_or_404(request, id))


@staff_required(*MISSION_STAFF)
@require_POST
def mission_publish(request, id):
    mission = _mission_or_404(request, id)
    try:
        actions.mission_update(
            actor=request.user,
            mission=mission,
            data={"status": Mission.Status.PUBLISHED},
            expected_status=request.POST.get("expected_status") or None,
        )
    except DomainError as exc:
        return _mission_page(request, _mission_or_404(request, id), error=exc)
    messages.success(request, _("Mission published: tenants can sign up."))
    return redirect("web:volunteering:mission_detail", id=mission.public_id)


@staff_required(*MISSION_STAFF)
def mission_cancel(request, id):
    """A confirmation first: how many tenants will be told; then the cancellation."""
    mission = _mission_or_404(request, id)
    error = None
    if request.method == "POST":
        try:
            actions.mission_update(
                actor=request.user, mission=mission, data={"status": Mission.Status.CANCELLED}
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Mission cancelled: everyone signed up has been notified."))
            return redirect("web:volunteering:mission_detail", id=mission.public_id)
    return render(
        request,
        "web/volunteering/mission_cancel.html",
        _context(
            mission=mission,
            told=reports.signups_cancelled_with(mission=mission),
            error=error,
        ),
    )


@staff_required(*MISSION_STAFF)
@require_POST
def slot_add(request, id):
    mission = _mission_or_404(request, id)
    form = SlotForm(request.POST)
    if form.is_valid():
        try:
            actions.mission_update(
                actor=request.user, mission=mission, data={}, slots=[form.slot_data()]
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("Slot added."))
            return redirect("web:volunteering:mission_detail", id=mission.public_id)
    return _mission_page(request, _mission_or_404(request, id), slot_form=form)


# --- Slots -------------------------------------------------------------------------------


@staff_required(*MISSION_STAFF)
def slot_detail(request, id):
    slot = _slot_or_404(request, id)
    return render(
        request,
        "web/volunteering/slot_detail.html",
        _context(
            slot=slot, mission=slot.mission, **reports.slot_sheet(user=request.user, slot=slot)
        ),
    )


@staff_required(*MISSION_STAFF)
def slot_edit(request, id):
    slot = _slot_or_404(request, id)
    form = SlotForm(
        request.POST or None,
        initial={"starts_at": slot.starts_at, "ends_at": slot.ends_at, "capacity": slot.capacity},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.mission_update(
                actor=request.user,
                mission=slot.mission,
                data={},
                slots=[{"id": slot.public_id, **form.slot_data()}],
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("Slot saved."))
            return redirect("web:volunteering:slot_detail", id=slot.public_id)
    return render(
        request,
        "web/volunteering/slot_form.html",
        _context(form=form, slot=slot, mission=slot.mission),
    )


@staff_required(*MISSION_STAFF)
@require_POST
def slot_cancel(request, id):
    slot = _slot_or_404(request, id)
    try:
        actions.slot_cancel(actor=request.user, slot=slot)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Slot cancelled: everyone signed up has been notified."))
    return redirect("web:volunteering:mission_detail", id=slot.mission.public_id)


# --- Attendance at the door --------------------------------------------------------------


def _attendance_row(request, slot, signup, *, error=None, status=200):
    signup = (
        reports.signup_search_for_user(user=request.user, slot=slot)
        .select_related("tenant__loyalty_account")
        .get(pk=signup.pk)
    )
    return render(
        request,
        "web/volunteering/_attendance_row.html",
        _context(slot=slot, signup=signup, error=error),
        status=status,
    )


@staff_required(*MISSION_STAFF)
def attendance(request, id):
    """The sheet at the door: one big button per person (attended / no-show). Each tap is
    one POST; with htmx only that person's row is redrawn."""
    slot = _slot_or_404(request, id)
    error = None
    if request.method == "POST":
        signup_id = request.POST.get("signup", "")
        attended = request.POST.get("attended") == "1"
        signup = (
            reports.signup_search_for_user(user=request.user, slot=slot)
            .filter(public_id=signup_id)
            .first()
            if _is_uuid(signup_id)
            else None
        )
        try:
            if signup is None:  # not an id at all: the domain's own refusal, not a 500
                raise actions.UnknownSignup()
            actions.attendance_mark(actor=request.user, slot=slot, marks=[(signup_id, attended)])
        except DomainError as exc:
            error = exc
        if request.htmx and signup is not None:
            return _attendance_row(request, slot, signup, error=error)
        if error is None:
            return redirect("web:volunteering:attendance", id=slot.public_id)
    sheet = reports.slot_sheet(user=request.user, slot=slot)
    return render(
        request,
        "web/volunteering/attendance.html",
        _context(slot=slot, mission=slot.mission, error=error, rows=sheet["holding"]),
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@staff_required(*MISSION_STAFF)
def checkin_code(request, id):
    """The slot's current code, large, and as a QR code for tenants to scan (rendered here:
    no script). The page reloads itself when the code rotates."""
    slot = _slot_or_404(request, id)
    try:
        current = actions.checkin_code_for(actor=request.user, slot=slot)
    except DomainError as exc:
        return render(
            request,
            "web/volunteering/checkin.html",
            _context(slot=slot, mission=slot.mission, error=exc),
        )
    qr = segno.make_qr(current["code"], error="m")  # a full QR: phones do not all read Micro QR
    svg = qr.svg_inline(scale=8, dark="#111", light="#fff", omitsize=True)
    refresh = max(int((current["rotates_at"] - clock.now()).total_seconds()) + 1, 1)
    response = render(
        request,
        "web/volunteering/checkin.html",
        _context(
            slot=slot,
            mission=slot.mission,
            code=current,
            qr_svg=mark_safe(svg),  # noqa: S308 - segno's own SVG, no user input in it
            refresh=refresh,
        ),
    )
    response["Cache-Control"] = "no-store"
    return response


# --- Sign-ups and initiatives ------------------------------------------------------------


@staff_required(*MISSION_STAFF)
def signup_list(request):
    form = SignupFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    signups = reports.signup_search_for_user(user=request.user, status=status)
    return render(
        request,
        "web/volunteering/signup_list.html",
        _context(
            form=form,
            page=paginate(request, signups),
            querystring=querystring_without_page(request),
            status=status,
        ),
    )


@staff_required(*MISSION_STAFF)
def initiative_list(request):
    initiatives = selectors.initiative_list_for_user(user=request.user)
    waiting = request.GET.get("all") != "1"
    if waiting:
        initiatives = initiatives.filter(status=Mission.Status.PROPOSED)
    return render(
        request,
        "web/volunteering/initiative_list.html",
        _context(
            page=paginate(request, initiatives),
            querystring=querystring_without_page(request),
            waiting=waiting,
            form=InitiativeReviewForm(),
        ),
    )


@staff_required(*MISSION_STAFF)
@require_POST
def initiative_review(request, id):
    mission = get_for_user_or_404(
        selectors.initiative_list_for_user(user=request.user), public_id=id
    )
    form = InitiativeReviewForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if form.is_valid():
        try:
            actions.initiative_review(
                actor=request.user,
                mission=mission,
                approve=approve,
                points=form.cleaned_data["points"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Initiative approved and published.") if approve else _("Initiative refused."),
            )
    else:
        messages.error(request, _("Check the points and the note."))
    return redirect("web:volunteering:initiatives")


# --- Hours per month ---------------------------------------------------------------------

CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 720, 300, 16, 40, 48


def _nice_max(value: float) -> int:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step:
            return step
    return (int(value // 50000) + 1) * 50000


def bar_chart(labels: list[str], series: list[tuple[str, str, list[float]]]) -> dict:
    """Grouped bars (one group per label, one bar per series): geometry only, the figures
    come from a report. `series` is [(name, colour, values)]. Shared with loyalty's chart."""
    top = _nice_max(max([v for _n, _c, values in series for v in values] + [1]))
    plot_h = CHART_H - CHART_TOP - CHART_BOTTOM
    group = (CHART_W - CHART_LEFT) / max(len(labels), 1)
    bar_w = group * 0.7 / len(series)
    groups = []
    for index, label in enumerate(labels):
        bars = []
        for position, (name, colour, values) in enumerate(series):
            h = values[index] / top * plot_h
            bars.append(
                {
                    "x": round(CHART_LEFT + index * group + group * 0.15 + position * bar_w, 1),
                    "y": round(CHART_TOP + plot_h - h, 1),
                    "w": round(bar_w, 1),
                    "h": round(h, 1),
                    "colour": colour,
                    "title": f"{label} · {name}: {values[index]}",
                }
            )
        groups.append(
            {
                "label": label,
                "label_x": round(CHART_LEFT + index * group + group / 2, 1),
                "bars": bars,
            }
        )
    return {
        "w": CHART_W,
        "h": CHART_H,
        "left": CHART_LEFT,
        "tick_x": CHART_LEFT - 6,
        "base_y": CHART_TOP + plot_h,
        "label_y": CHART_TOP + plot_h + 18,
        "groups": groups,
        "ticks": [
            {"value": top * i // 4, "y": round(CHART_TOP + plot_h - plot_h * i / 4, 1)}
            for i in range(5)
        ],
        "legend": [{"label": name, "colour": colour} for name, colour, _v in series],
    }


@staff_required(*MISSION_STAFF)
def stats(request):
    report = reports.hours_by_month(user=request.user, months=12)
    labels = [month.strftime("%m/%Y") for month in report.months]
    chart = bar_chart(labels, [(_("Hours"), "#1d4ed8", report.hours)])
    rows = list(zip(report.months, report.hours, report.sessions, strict=True))
    return render(
        request,
        "web/volunteering/stats.html",
        _context(
            chart=chart,
            rows=rows,
            total_hours=round(sum(report.hours), 1),
            total_sessions=sum(report.sessions),
            waiting=selectors.staff_waiting_counts(user=request.user),
        ),
    )
