"""`Idempotency-Key` for POSTs that create or spend: the same key and body replays the first
response; the same key with another body is 422; a duplicate still running is 409."""

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from services.core import clock
from services.core.client import client_address
from services.core.errors import DomainError, conflict
from services.core.errors import invalid as invalid_error
from services.core.idempotency import keyed_digest, seal, unseal
from services.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used with another request.")


IdempotencyInProgress = conflict(
    "idempotency_in_progress", _("A request with this Idempotency-Key is still being processed.")
)
InvalidIdempotencyKey = invalid_error(
    "invalid_idempotency_key", _("The Idempotency-Key header must be 1 to 255 characters.")
)


def _canonical(value):
    if hasattr(value, "read") and hasattr(value, "chunks"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file_sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict
        return {k: [_canonical(v) for v in vs] for k, vs in value.lists()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


# A request whose first attempt died (a killed worker) frees its key after this long.
STALE_AFTER = timedelta(minutes=5)


def fingerprint(request) -> str:
    payload = {"method": request.method, "path": request.path, "data": _canonical(request.data)}
    return keyed_digest(json.dumps(payload, sort_keys=True, default=str).encode())


def idempotent(view_method):
    """Decorate a view's `post` (or a viewset action)."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not (0 < len(key) <= 255):
            raise InvalidIdempotencyKey()
        user = request.user
        if user.is_authenticated:
            scope = f"user:{user.public_id}"
        else:
            scope = f"anon:{client_address(request)}"[:80]
        print_ = fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope, key=key, request_fingerprint=print_
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:  # the first attempt failed and released the key meanwhile
                raise IdempotencyInProgress() from None
            if existing.request_fingerprint != print_:
                raise IdempotencyKeyReused() from None
            if existing.state == IdempotencyRecord.State.IN_PROGRESS:
                if existing.created_at < clock.now() - STALE_AFTER:
                    IdempotencyRecord.objects.filter(pk=existing.pk, state=existing.state).delete()
                raise IdempotencyInProgress() from None
            return Response(
                unseal(existing.response_sealed),
                status=existing.response_status,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = view_method(view, request, *args, **kwargs)
        except BaseException:
            # An error is not a result: release the key so the client can retry.
            record.delete()
            raise
        if response.status_code >= 500 or response.status_code == 429:
            record.delete()
            return response
        record.state = IdempotencyRecord.State.COMPLETED
        record.response_status = response.status_code
        record.response_sealed = seal(response.data)
        record.save(update_fields=["state", "response_status", "response_sealed"])
        return response

    wrapper.idempotent = True
    return wrapper
