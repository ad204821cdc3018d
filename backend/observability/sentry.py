"""Errors to Sentry when SENTRY_DSN is set, with personal data taken out before anything
leaves the process: no request body, cookies or credentials, no query string (magic links
carry tokens), no local variables, the user reduced to an id, e-mail addresses and phone
numbers masked in messages."""

import re

from . import requestid

# Request headers worth keeping; every other one (Authorization, Cookie, ...) is dropped.
KEPT_HEADERS = {"accept", "accept-language", "content-type", "user-agent", "x-request-id"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
_TOKENISH = re.compile(r"(?i)\b(bearer\s+|(?:token|code|password|secret|key)=)[^\s&]+")
FILTERED = "[Filtered]"


def _mask(text):
    if not isinstance(text, str):
        return text
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _TOKENISH.sub(lambda m: f"{m.group(1)}{FILTERED}", text)


def scrub(event: dict, hint=None) -> dict:
    """Sentry's before_send (and before_send_transaction): the event without personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            if key in request:
                request[key] = FILTERED
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers") or {}
        request["headers"] = {
            name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS
        }
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    if "message" in event:
        event["message"] = _mask(event["message"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry["message"] = _mask(logentry.get("message"))
        logentry["params"] = [FILTERED for _ in logentry.get("params") or []]
    for exception in (event.get("exception") or {}).get("values") or []:
        exception["value"] = _mask(exception.get("value"))
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in crumbs or []:
        crumb["message"] = _mask(crumb.get("message"))
        crumb.pop("data", None)
    event.pop("extra", None)
    rid = requestid.get()
    if rid:
        event.setdefault("tags", {})["request_id"] = rid
    return event


def init(dsn: str, *, environment: str = "", release: str = "") -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=scrub,
        before_send_transaction=scrub,
    )
