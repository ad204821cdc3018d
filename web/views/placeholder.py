"""A section that is announced in the navigation but not built yet."""

from django.shortcuts import render

from ..access import staff_required


def coming_soon(title: str, *roles: str):
    @staff_required(*roles)
    def view(request):
        return render(request, "web/coming_soon.html", {"title": title})

    return view
