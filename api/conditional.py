"""Conditional GETs: an `ETag` on single objects and the home screen, `If-None-Match` -> 304.

`ConditionalGetMixin` goes on every view with a single-object GET (a test walks the URL
configuration): the ETag is a hash of the rendered body, so it changes exactly when the
answer does, whatever related rows (places left, affordability) the answer reads. Views
that can tell their version more cheaply than by building the body (home) define
`etag_before_body(request)`: on a match the 304 is answered before any of the body's
queries run.
"""

import hashlib

from django.http import HttpResponseNotModified
from django.utils.cache import get_conditional_response, quote_etag


def etag_of(*parts) -> str:
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=16)
    return quote_etag(digest.hexdigest())


class ConditionalGetMixin:
    """For DRF views: ETag on every 200 GET, 304 when `If-None-Match` matches it."""

    def etag_before_body(self, request) -> str | None:
        """A version computed without building the body, or None (hash the body)."""
        return None

    _early_etag: str | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated and authorised first
        self._early_etag = None
        if request.method == "GET":
            self._early_etag = self.etag_before_body(request)
            if self._early_etag is not None and _matches(request, self._early_etag):
                raise _NotModified  # the handler, and the body's queries, never run

    def handle_exception(self, exc):
        if isinstance(exc, _NotModified):
            response = HttpResponseNotModified()
            response["ETag"] = self._early_etag
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method != "GET" or response.status_code != 200 or response.streaming:
            return response
        if self._early_etag is not None:
            etag = self._early_etag
        else:
            if hasattr(response, "render"):  # a DRF Response; a plain HttpResponse has content
                response.render()
            etag = etag_of(response.content)
        response["ETag"] = etag
        conditional = get_conditional_response(request, etag=etag, response=response)
        if isinstance(conditional, HttpResponseNotModified):
            return conditional
        return response


class _NotModified(Exception):
    pass


def _matches(request, etag: str) -> bool:
    conditional = get_conditional_response(request, etag=etag)
    return conditional is not None and conditional.status_code == 304
