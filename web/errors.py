"""HTML error pages for the console (the API keeps its JSON ones)."""

from django.shortcuts import render


def page_not_found(request, exception=None):
    return render(request, "web/404.html", status=404)


def permission_denied(request, exception=None):
    return render(request, "web/403.html", status=403)


def bad_request(request, exception=None):
    return render(request, "web/400.html", status=400)


def server_error(request):
    return render(request, "web/500.html", status=500)
