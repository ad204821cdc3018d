"""The Firebase channel: the only module that imports firebase_admin.

Messages are built with the SDK and sent with `messaging.send_each` in sub-batches of
`FCM_CONCURRENCY` (the SDK runs one thread per message of a batch: a 2-core worker does
best with about a hundred, not 500, in flight). Each failure is classified by exception class into
an `Outcome`; dispatch.py decides what that means for the device and the delivery.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import os
import threading
import time
import uuid
from urllib.parse import urlsplit

import firebase_admin
import requests.adapters
import requests.utils
from django.conf import settings
from firebase_admin import _http_client, credentials, exceptions, messaging
from urllib3.util.retry import Retry

from . import Outcome, PushMessage, PushResult

logger = logging.getLogger("notifications.push")

MAX_BATCH = 500  # FCM's limit for one send_each call
DEFAULT_CONCURRENCY = 100
DEFAULT_HTTP_TIMEOUT = 10  # seconds; the SDK's default is 120

# The SDK's own transport retries 500/503 up to 4 times, sleeping in the worker thread, and
# follows Retry-After on 429. We retry at the delivery level instead (only the failed
# devices, later, without holding a worker), so the transport retries only a connection
# that could not be opened (nothing was sent yet).
TRANSPORT_RETRY = Retry(
    total=1,
    connect=1,
    read=0,
    status=0,
    other=0,
    allowed_methods=None,
    raise_on_status=False,
    respect_retry_after_header=False,
    backoff_factor=0,
)

_apps: dict[tuple, firebase_admin.App] = {}
_apps_lock = threading.Lock()


def load_service_account(value: str) -> dict:
    """FIREBASE_CREDENTIALS is either the service-account JSON itself or a path to it."""
    text = value.strip()
    if not text.startswith("{"):
        with open(text, encoding="utf-8") as handle:
            text = handle.read()
    return json.loads(text)


def configure_transport(
    app: firebase_admin.App, *, endpoint: str, concurrency: int, sdk_retries: bool = False
) -> str:
    """THE one place that reaches into the SDK's private parts (firebase-admin is pinned
    at 7.7.0 in pyproject.toml; tests/notifications/test_fcm.py proves this still takes).

    - Only when `endpoint` (settings.FCM_ENDPOINT) is given, the FCM v1 send URL is moved
      to it (the benchmark's and the worker test's local fake FCM).
    - Always: our transport retry policy and a connection pool sized for our concurrency,
      mounted on the send URL's origin; and the environment's proxy and CA-bundle settings
      read once here instead of on every request (requests re-reads os.environ per call:
      0.65 → 0.47 ms of CPU per request without it).
    `sdk_retries=True` keeps the SDK's own retry policy and pool (what it mounts for
    fcm.googleapis.com): the benchmark's "fcm-django way" baseline.
    Returns the send URL in use.
    """
    service = messaging._get_messaging_service(app)
    if endpoint:
        service._fcm_url = f"{endpoint.rstrip('/')}/v1/projects/{app.project_id}/messages:send"
    parts = urlsplit(service._fcm_url)
    if sdk_retries:
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=100, pool_maxsize=100, max_retries=_http_client.DEFAULT_RETRY_CONFIG
        )
    else:
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=max(concurrency, 10), max_retries=TRANSPORT_RETRY
        )
        _read_environment_once(service._client.session, service._fcm_url)
    service._client.session.mount(f"{parts.scheme}://{parts.netloc}", adapter)
    return service._fcm_url


def _read_environment_once(session: requests.Session, url: str) -> None:
    """What `trust_env` would read on each request (HTTPS_PROXY/NO_PROXY, a CA bundle),
    read now. A worker's environment does not change while it runs."""
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def get_app() -> firebase_admin.App:
    """One Firebase app per (credentials, endpoint), created once per process."""
    key = (
        settings.FIREBASE_CREDENTIALS,
        settings.FCM_ENDPOINT,
        _http_timeout(),
        _concurrency(),
    )
    with _apps_lock:
        app = _apps.get(key)
        if app is None:
            info = load_service_account(settings.FIREBASE_CREDENTIALS)
            app = firebase_admin.initialize_app(
                credentials.Certificate(info),
                {"httpTimeout": _http_timeout(), "projectId": info.get("project_id")},
                name=f"voisinage-{uuid.uuid4().hex[:8]}",
            )
            configure_transport(app, endpoint=settings.FCM_ENDPOINT, concurrency=_concurrency())
            _apps[key] = app
    return app


def _http_timeout() -> float:
    return getattr(settings, "FCM_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT)


def _concurrency() -> int:
    return max(1, min(int(getattr(settings, "FCM_CONCURRENCY", DEFAULT_CONCURRENCY)), MAX_BATCH))


def build_message(message: PushMessage) -> messaging.Message:
    """Notification + data (all strings), an Android channel per category, APNs sound and
    badge, a collapse key and the TTL on every platform."""
    ttl = datetime.timedelta(seconds=message.ttl_seconds)
    expiry = int(time.time()) + message.ttl_seconds
    built = messaging.Message(
        fid=message.token if message.identifier_kind == "installation_id" else None,
        notification=messaging.Notification(title=message.title, body=message.body),
        data={str(k): str(v) for k, v in message.data.items()},
        android=messaging.AndroidConfig(
            collapse_key=message.collapse_key,
            ttl=ttl,
            priority="high",
            notification=messaging.AndroidNotification(channel_id=message.category),
        ),
        apns=messaging.APNSConfig(
            headers={
                "apns-expiration": str(expiry),
                "apns-collapse-id": message.collapse_key[:64],
                "apns-priority": "10",
            },
            payload=messaging.APNSPayload(
                aps=messaging.Aps(sound="default", badge=message.badge, thread_id=message.category)
            ),
        ),
        webpush=messaging.WebpushConfig(headers={"TTL": str(message.ttl_seconds)}),
    )
    if message.identifier_kind != "installation_id":
        # 7.7.0 deprecates `token=` (warning on each call) in favour of installation ids,
        # but the apps register FCM registration tokens today; the encoder still sends it.
        built.token = message.token
    return built


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # unreadable: our own backoff decides
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return max(0.0, parsed.timestamp() - time.time())


def _is_about_the_token(error: exceptions.FirebaseError) -> bool:
    """FCM says INVALID_ARGUMENT both for a malformed token and for a bad payload; only the
    first is the device's fault. The token case names `message.token` or the token."""
    response = getattr(error, "http_response", None)
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    err = body.get("error", {}) if isinstance(body, dict) else {}
    for detail in err.get("details", []) or []:
        for violation in detail.get("fieldViolations", []) or []:
            field = violation.get("field", "")
            if field == "message.token" or field.startswith("message.token"):
                return True
            if field:
                return False
    text = f"{err.get('message', '')} {error}".lower()
    return "registration token" in text or "message.token" in text


def classify(delivery_id: int, error: exceptions.FirebaseError) -> PushResult:
    """The error table of docs/notifications.md, by exception class."""
    text = str(error)[:500]
    if isinstance(error, messaging.UnregisteredError):
        return PushResult(delivery_id, Outcome.UNREGISTERED, error=text, error_code="unregistered")
    if isinstance(error, messaging.SenderIdMismatchError):
        return PushResult(
            delivery_id, Outcome.SENDER_MISMATCH, error=text, error_code="sender_id_mismatch"
        )
    if isinstance(error, messaging.ThirdPartyAuthError):
        return PushResult(
            delivery_id, Outcome.THIRD_PARTY_AUTH, error=text, error_code="third_party_auth"
        )
    if isinstance(error, exceptions.InvalidArgumentError):
        if _is_about_the_token(error):
            return PushResult(
                delivery_id, Outcome.INVALID_TOKEN, error=text, error_code="invalid_token"
            )
        return PushResult(
            delivery_id, Outcome.INVALID_PAYLOAD, error=text, error_code="invalid_payload"
        )
    if isinstance(
        error,
        messaging.QuotaExceededError
        | exceptions.ResourceExhaustedError
        | exceptions.UnavailableError
        | exceptions.InternalError
        | exceptions.DeadlineExceededError
        # A 502/504 from Google's front end, or the whole batch failing before FCM was
        # reached (the OAuth token endpoint down: send_each wraps it in UnknownError):
        # transient, and retrying until the TTL loses nothing.
        | exceptions.UnknownError,
    ):
        code = type(error).__name__.removesuffix("Error").lower()
        return PushResult(
            delivery_id,
            Outcome.RETRY,
            error=text,
            error_code=code,
            retry_after=_retry_after(error),
        )
    return PushResult(delivery_id, Outcome.ERROR, error=text, error_code=error.code or "unknown")


class FcmChannel:
    name = "fcm"

    def __init__(self, app: firebase_admin.App, *, concurrency: int) -> None:
        self.app = app
        self.concurrency = concurrency

    @classmethod
    def from_settings(cls) -> FcmChannel:
        return cls(get_app(), concurrency=_concurrency())

    def send(self, messages: list[PushMessage]) -> list[PushResult]:
        results: list[PushResult] = []
        step = min(self.concurrency, MAX_BATCH)
        for start in range(0, len(messages), step):
            chunk = messages[start : start + step]
            built = [build_message(m) for m in chunk]
            try:
                batch = messaging.send_each(built, app=self.app)
            except exceptions.FirebaseError as error:  # the whole batch failed to go out
                results.extend(classify(m.delivery_id, error) for m in chunk)
                continue
            for message, response in zip(chunk, batch.responses, strict=True):
                if response.success:
                    results.append(
                        PushResult(
                            message.delivery_id, Outcome.SENT, message_id=response.message_id
                        )
                    )
                else:
                    results.append(classify(message.delivery_id, response.exception))
        return results
