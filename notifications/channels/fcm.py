"""The Firebase channel: the only module that imports firebase_admin.

Messages are built and encoded with the SDK and sent one request each, like
`messaging.send`, by a pool of `FCM_CONCURRENCY` threads kept for the process (`FcmSender`):
`send_each` starts a thread per message of every batch and goes through requests' whole
`Session.request` per message, which cost a worker 1.4 ms of CPU per push against 0.5 ms
this way (docs/operations.md). Each failure is classified by exception class into an
`Outcome`; dispatch.py decides what that means for the device and the delivery.
"""

from __future__ import annotations

import concurrent.futures
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
import google.auth.transport.requests
import requests
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
_senders: dict[str, FcmSender] = {}  # by app name


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


class FcmSender:
    """What `messaging.send` does for one message, minus requests' per-call `Session.request`
    (merging settings, cookies, hooks, re-preparing the same URL and headers) and the
    google-auth session wrapper: a prepared request copied per message and handed to the
    adapter `configure_transport` mounted (its retry policy and pool; `responses` fakes it in
    the tests), proxies and CA bundle as read there, the access token refreshed under a lock
    when it expires (and once on a 401, as google-auth's session does), errors mapped by the
    SDK's own FCM error parser. Reaches into the SDK's private parts like
    `configure_transport` (pinned 7.7.0; tests/notifications/test_fcm.py)."""

    def __init__(self, app: firebase_admin.App, *, concurrency: int) -> None:
        service = messaging._get_messaging_service(app)
        self.service = service
        self.url = service._fcm_url
        session = service._client.session
        self.adapter = session.get_adapter(self.url)
        self.send_options = {
            "timeout": app.options.get("httpTimeout", _http_client.DEFAULT_TIMEOUT_SECONDS),
            "proxies": dict(session.proxies),
            "verify": session.verify,
            "cert": session.cert,
        }
        headers = {
            **service._fcm_headers,
            **_http_client.METRICS_HEADERS,
            "Content-Type": "application/json",
            "User-Agent": requests.utils.default_user_agent(),
        }
        self.template = requests.Request("POST", self.url, headers=headers, data=b"{}").prepare()
        self.credential = service._credential
        self.token_lock = threading.Lock()
        self.auth_request = google.auth.transport.requests.Request()
        self.concurrency = concurrency
        self.pool = concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix="fcm")
        self.pid = os.getpid()

    def authorization(self, *, stale: str | None = None) -> str:
        """The bearer header, refreshed once for all threads when it expired (or when it
        is still `stale`, the one FCM just refused)."""
        credential = self.credential
        if not credential.valid or (stale and credential.token == stale):
            with self.token_lock:
                if not credential.valid or (stale and credential.token == stale):
                    credential.refresh(self.auth_request)
        return credential.token

    def send_all(self, built: list[messaging.Message]) -> list[str | exceptions.FirebaseError]:
        """Each message's FCM message id or its error, in order; all in flight together up
        to the pool's size. The access token failing (its endpoint down) fails them all, as
        `send_each` does."""
        try:
            self.authorization()
        except Exception as error:  # as send_each: the batch did not go out
            failed = exceptions.UnknownError(
                message=f"Unknown error while making remote service calls: {error}",
                cause=error,
            )
            return [failed] * len(built)
        bodies = [
            json.dumps(self.service._message_data(m, False), allow_nan=False).encode()
            for m in built
        ]
        return list(self.pool.map(self._send_one, bodies))

    def _send_one(self, body: bytes) -> str | exceptions.FirebaseError:
        token = self.credential.token
        try:
            response = self._post(body, token)
            if response.status_code == 401:  # revoked or expired early: a new one, once
                token = self.authorization(stale=token)
                response = self._post(body, token)
            response.raise_for_status()
            return response.json()["name"]
        except requests.exceptions.RequestException as failed:
            error = failed
        except Exception as failed:  # a refresh failing: retried later
            return exceptions.UnknownError(message=f"Unknown error: {failed}", cause=failed)
        try:
            return self.service._handle_fcm_error(error)
        except Exception as failed:  # the SDK's parser on an odd body (a 502)
            return exceptions.UnknownError(message=f"Unknown error: {failed}", cause=error)

    def _post(self, body: bytes, token: str) -> requests.Response:
        prepared = self.template.copy()
        prepared.body = body
        prepared.headers["Content-Length"] = str(len(body))
        prepared.headers["Authorization"] = f"Bearer {token}"
        return self.adapter.send(prepared, **self.send_options)


def get_sender(app: firebase_admin.App, *, concurrency: int) -> FcmSender:
    """One sender (and its thread pool) per app and process: a pool made before a worker
    forked has no threads in the child."""
    with _apps_lock:
        sender = _senders.get(app.name)
        if sender is None or sender.pid != os.getpid() or sender.concurrency != concurrency:
            if sender is not None and sender.pid == os.getpid():
                sender.pool.shutdown(wait=False)
            sender = _senders[app.name] = FcmSender(app, concurrency=concurrency)
    return sender


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
        sender = get_sender(self.app, concurrency=self.concurrency)
        answers = sender.send_all([build_message(m) for m in messages])
        return [
            classify(message.delivery_id, answer)
            if isinstance(answer, exceptions.FirebaseError)
            else PushResult(message.delivery_id, Outcome.SENT, message_id=answer)
            for message, answer in zip(messages, answers, strict=True)
        ]
