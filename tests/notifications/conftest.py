"""Firebase for the tests: the real firebase-admin SDK, a generated service-account key
whose OAuth token endpoint is faked, and FCM's HTTP v1 endpoint faked at the transport
(`responses`) with FCM's real bodies."""

import json
from dataclasses import dataclass, field

import pytest
import responses

from bench.fake_fcm import UNREGISTERED_BODY, service_account_info

PROJECT = "voisinage-test"
TOKEN_URI = "https://oauth2.fake.test/token"
FCM_URL = f"https://fcm.googleapis.com/v1/projects/{PROJECT}/messages:send"


def fcm_error(
    status: int,
    grpc_status: str,
    message: str,
    error_code: str | None = None,
    extra_details: list | None = None,
) -> dict:
    details = []
    if error_code:
        details.append(
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }
        )
    details.extend(extra_details or [])
    return {
        "error": {"code": status, "message": message, "status": grpc_status, "details": details}
    }


UNREGISTERED = (404, UNREGISTERED_BODY, {})
SENDER_ID_MISMATCH = (
    403,
    fcm_error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
    {},
)
INVALID_TOKEN = (
    400,
    fcm_error(
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
        "INVALID_ARGUMENT",
    ),
    {},
)
INVALID_PAYLOAD = (
    400,
    fcm_error(
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration)"
        ", Field 'ttl', Illegal duration format; duration must end with 's'",
        None,
        [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {"field": "message.android.ttl", "description": "Illegal duration format"}
                ],
            }
        ],
    ),
    {},
)
THIRD_PARTY_AUTH = (
    401,
    fcm_error(
        401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR"
    ),
    {},
)
QUOTA_EXCEEDED = (
    429,
    fcm_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests'",
        "QUOTA_EXCEEDED",
    ),
    {"Retry-After": "120"},
)
UNAVAILABLE = (
    503,
    fcm_error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
    {},
)
INTERNAL = (
    500,
    fcm_error(500, "INTERNAL", "Internal error encountered.", "INTERNAL"),
    {},
)


@dataclass
class FakeFcm:
    """Answers per token: `answers[token] = (status, body, headers)`; others succeed."""

    rsps: responses.RequestsMock
    answers: dict = field(default_factory=dict)
    sent: list = field(default_factory=list)  # the request bodies FCM received

    def __call__(self, request):
        body = json.loads(request.body)
        self.sent.append(body)
        token = body["message"].get("token") or body["message"].get("fid")
        if token in self.answers:
            status, payload, headers = self.answers[token]
            return status, {"Content-Type": "application/json", **headers}, json.dumps(payload)
        name = f"projects/{PROJECT}/messages/0:{len(self.sent)}"
        return 200, {"Content-Type": "application/json"}, json.dumps({"name": name})

    def tokens(self) -> list[str]:
        return [b["message"].get("token") or b["message"].get("fid") for b in self.sent]


@pytest.fixture(scope="session")
def service_account() -> dict:
    return service_account_info(token_uri=TOKEN_URI, project_id=PROJECT)


@pytest.fixture
def fake_fcm(settings, service_account):
    settings.FIREBASE_CREDENTIALS = json.dumps(service_account)
    settings.FCM_ENDPOINT = ""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            TOKEN_URI,
            json={"access_token": "fake-access-token", "expires_in": 3600, "token_type": "Bearer"},
        )
        fake = FakeFcm(rsps)
        rsps.add_callback(responses.POST, FCM_URL, callback=fake)
        yield fake
