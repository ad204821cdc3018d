"""Announcements (every staff role, like the API): write one to all or some residences'
tenants, and see how far each went."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from notifications import selectors, services
from services.core.errors import DomainError

from ..access import get_for_user_or_404, staff_required
from ..forms import add_domain_error
from ..forms.announcements import AnnouncementForm
from ..pagination import paginate


@staff_required()
def announcement_list(request):
    page = paginate(request, selectors.announcement_list_for_user(user=request.user))
    return render(
        request, "web/announcements/list.html", {"section": "announcements", "page": page}
    )


@staff_required()
def announcement_create(request):
    form = AnnouncementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            announcement = services.announcement_create(
                author=request.user,
                title=data["title"],
                body=data["body"],
                residence_ids=[r.public_id for r in data["residences"]],
                marketing=data["marketing"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The announcement is on its way."))
            return redirect("web:announcements:detail", id=announcement.public_id)
    return render(
        request, "web/announcements/form.html", {"section": "announcements", "form": form}
    )


@staff_required()
def announcement_detail(request, id):
    announcement = get_for_user_or_404(
        selectors.announcement_list_for_user(user=request.user).prefetch_related("residences"),
        public_id=id,
    )
    return render(
        request,
        "web/announcements/detail.html",
        {
            "section": "announcements",
            "announcement": announcement,
            "counts": selectors.announcement_delivery_counts(announcement=announcement),
        },
    )
