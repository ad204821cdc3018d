"""My offers, under /espace/offres/: a member lists its company's offers (status, candidates),
creates one with the ROME title search, edits, publishes and closes it.

Every write is the jobs action the API and the console call (`offer_create`, `offer_update`),
which checks the policy again: a member targets only the landlords that granted it access,
and changes an offer only when every landlord it targets did (`member_speaks_for_offer`).
Which offers a member reaches is `selectors.offer_list_for_user`: another company's offer, or
one for landlords that did not grant this member, is a 404. There is no staff validation
before tenants see a published offer (docs/employers.md, "My offers").
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from services.core.errors import DomainError
from services.jobs import actions as jobs
from services.jobs import reports, selectors
from services.jobs.models import Offer

from ..access import get_for_user_or_404
from ..forms.employer_offers import MemberOfferForm
from .employer import employer_required

# The status steps a member takes from these pages (the action checks each one).
OFFER_STEPS = {
    Offer.Status.PUBLISHED: gettext_lazy("The offer is published."),
    Offer.Status.CLOSED: gettext_lazy("The offer is closed."),
}
CAN_PUBLISH = (Offer.Status.DRAFT, Offer.Status.PAUSED)
CAN_CLOSE = (Offer.Status.DRAFT, Offer.Status.PUBLISHED, Offer.Status.PAUSED)
FINAL = (Offer.Status.FILLED, Offer.Status.CLOSED)


def _context(**extra) -> dict:
    return {"section": "employer", "employer_page": "offers", **extra}


def _offer_or_404(request, id) -> Offer:
    return get_for_user_or_404(selectors.offer_list_for_user(user=request.user), public_id=id)


def _row(user, offer: Offer) -> dict:
    editable = reports.offer_rights(user=user, offer=offer).edit
    return {
        "id": offer.public_id,
        "title": offer.title,
        "status": offer.get_status_display(),
        "status_code": offer.status,
        "landlords": [t.name for t in offer.target_landlords.all()],
        "candidate_count": getattr(offer, "candidate_count", None),
        "waiting_count": getattr(offer, "waiting_count", None),
        "editable": editable,
        "can_publish": editable and offer.status in CAN_PUBLISH,
        "can_close": editable and offer.status in CAN_CLOSE,
    }


@never_cache
@employer_required
def offers(request):
    """My company's offers for my landlords, with how many candidates each has."""
    found = reports.member_offer_list(user=request.user)
    return render(
        request,
        "web/employer/offer_list.html",
        _context(offers=[_row(request.user, offer) for offer in found[:200]]),
    )


def _rome_choices(form) -> dict:
    """The ROME part of the form: the chosen title, and the search's results when the form
    was sent with "Search" (the page without JavaScript)."""
    code = form["appellation"].value() or ""
    chosen = reports.rome_title(code=code) if code else None
    results = []
    if form.data.get("rome_lookup") is not None:
        results = selectors.rome_search(q=form.data.get("rome_search", ""), limit=15)
    return {"rome_chosen": chosen, "rome_results": results}


def _show_refusal(form, exc: Exception) -> None:
    """The domain's refusal beside the field it names (the jobs actions name the field and
    give the offending value, so the message is what is shown), else at the top."""
    if isinstance(exc, ValidationError):  # a model check the action ran (`full_clean`)
        named = {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    else:
        named = {name: [str(exc.message)] for name in (exc.fields or {})}
    placed = False
    for name, texts in named.items():
        name = form.FIELD_OF.get(name, name)
        if name in form.fields:
            for text in texts:
                form.add_error(name, text)
            placed = True
    if not placed:
        texts = [text for found in named.values() for text in found]
        form.add_error(None, str(getattr(exc, "message", "")) or " ".join(texts))


def _save(request, form, *, offer: Offer | None = None) -> Offer | None:
    """Call the action; the offer on success, None when the form shows the refusal."""
    data = form.offer_data(editing=offer is not None)
    targets = list(form.cleaned_data["target_landlords"])
    if "publish" in request.POST:
        data["status"] = Offer.Status.PUBLISHED
    try:
        if offer is not None:
            return jobs.offer_update(
                actor=request.user, offer=offer, data=data, target_landlords=targets
            )
        return jobs.offer_create(
            actor=request.user,
            employer=request.user.employer_member.employer,
            data=data,
            target_landlords=targets,
        )
    except (DomainError, ValidationError) as exc:
        _show_refusal(form, exc)
    return None


@never_cache
@employer_required
def offer_create(request):
    landlords = reports.member_target_landlords(user=request.user)
    form = MemberOfferForm(
        request.POST or None,
        landlords=landlords,
        initial={"target_landlords": [landlord.public_id for landlord in landlords]},
    )
    searching = "rome_lookup" in request.POST
    if request.method == "POST" and not searching and form.is_valid():
        offer = _save(request, form)
        if offer is not None:
            published = offer.status == Offer.Status.PUBLISHED
            messages.success(
                request, _("The offer is published.") if published else _("Offer saved.")
            )
            return redirect("employer:offer", id=offer.public_id)
    return render(
        request,
        "web/employer/offer_form.html",
        _context(
            form=form,
            offer=None,
            editable=True,
            no_landlord=not landlords.exists(),
            **_rome_choices(form),
        ),
    )


@never_cache
@employer_required
def offer_edit(request, id):
    """One of my offers: its status, publish or close, and (while it is open and every
    landlord it targets gave me access) the form to change it."""
    offer = get_for_user_or_404(reports.member_offer_list(user=request.user), public_id=id)
    landlords = reports.member_target_landlords(user=request.user)
    row = _row(request.user, offer)
    editable = row["editable"] and offer.status not in FINAL
    form = MemberOfferForm(
        request.POST or None,
        landlords=landlords,
        initial=MemberOfferForm.initial_for(offer, landlords=landlords),
    )
    searching = "rome_lookup" in request.POST
    if request.method == "POST" and editable and not searching and form.is_valid():
        saved = _save(request, form, offer=offer)
        if saved is not None:
            messages.success(request, _("Offer saved."))
            return redirect("employer:offer", id=saved.public_id)
    return render(
        request,
        "web/employer/offer_form.html",
        _context(
            form=form,
            offer=offer,
            row=row,
            editable=editable,
            shared_beyond_access=not row["editable"],
            **_rome_choices(form),
        ),
    )


@require_POST
@employer_required
def offer_status(request, id):
    """Publish or close one of my offers, through the action the API uses (the owners, the
    status steps; closing makes its open matches `obsolete`). A refusal is a message."""
    offer = _offer_or_404(request, id)
    back = "employer:offer" if request.POST.get("back") == "offer" else "employer:offers"
    back_kwargs = {"id": offer.public_id} if back == "employer:offer" else {}
    wanted = request.POST.get("status", "")
    if wanted not in OFFER_STEPS:
        messages.error(request, _("Choose publish or close."))
        return redirect(back, **back_kwargs)
    try:
        jobs.offer_update(actor=request.user, offer=offer, data={"status": wanted})
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, str(OFFER_STEPS[wanted]))
    return redirect(back, **back_kwargs)


@employer_required
@require_GET
def rome_search(request):
    """The ROME search as you type (htmx fragment): the console's partial, the same domain
    search (`selectors.rome_search`)."""
    q = request.GET.get("rome_search", request.GET.get("q", ""))[:100]
    results = selectors.rome_search(q=q, limit=15) if len(q.strip()) >= 2 else []
    return render(request, "web/jobs/_rome_results.html", {"rome_results": results, "q": q})
