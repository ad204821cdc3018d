from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors; `?page_size=` up to 100. Views set `ordering` (newest first by default)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):
        # DRF only reads an OrderingFilter; our views declare their order as `ordering`.
        ordering = getattr(view, "ordering", None)
        if ordering:
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)
