"""Storage side of Idempotency-Key: keyed fingerprints, sealed responses, retention."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from . import clock, periodic
from .models import IdempotencyRecord


def _key(purpose: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), purpose, hashlib.sha256).digest()


def keyed_digest(payload: bytes) -> str:
    """Request bodies may hold passwords: never store their plain hash."""
    return hmac.new(_key(b"idempotency-fingerprint"), payload, hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key(b"idempotency-response")))


def seal(body) -> str:
    """Stored responses may carry one-time codes or tokens: they are kept encrypted."""
    return _fernet().encrypt(json.dumps(body, default=str).encode()).decode()


def unseal(sealed: str):
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except InvalidToken:
        return None


def purge_expired() -> int:
    """Drop records past their retention, a batch at a time: a batch the database refuses is
    retried record by record (periodic.each_in_batches)."""
    cutoff = clock.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    expired = IdempotencyRecord.objects.filter(created_at__lt=cutoff)

    def purge(ids: list[int]) -> int:
        return expired.filter(pk__in=ids).delete()[0]

    ids = list(expired.order_by("pk").values_list("pk", flat=True))
    deleted, _loop = periodic.each_in_batches(
        ids, purge, task="core.purge_idempotency_records", size=1000
    )
    return deleted
