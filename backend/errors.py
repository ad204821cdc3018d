"""Error handlers: HTML for the web pages (console, landing), JSON for everything else."""

from api import exceptions as api_errors
from web import errors as web_errors


def _is_web(request) -> bool:
    return request.path == "/" or request.path.startswith(("/console/", "/espace/"))


def handler400(request, exception=None):
    if _is_web(request):
        return web_errors.bad_request(request, exception)
    return api_errors.handler400(request, exception)


def handler403(request, exception=None):
    if _is_web(request):
        return web_errors.permission_denied(request, exception)
    return api_errors.handler403(request, exception)


def handler404(request, exception=None):
    if _is_web(request):
        return web_errors.page_not_found(request, exception)
    return api_errors.handler404(request, exception)


def handler500(request):
    if _is_web(request):
        return web_errors.server_error(request)
    return api_errors.handler500(request)
