"""Page-numbered lists for the console: a COUNT and one slice, whatever the number of rows."""

from django.core.paginator import Page, Paginator

PER_PAGE = 25


def paginate(request, queryset, per_page: int = PER_PAGE) -> Page:
    """The page asked for in `?page=`; an absurd number gives the last or first page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    """The current filters, to keep them in the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
