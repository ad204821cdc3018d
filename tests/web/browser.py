"""Helpers for browser tests: a session without typing the form, screenshots for the docs."""

import os
import tempfile
from pathlib import Path

from django.conf import settings

from tests.web.conftest import DESKTOP, PHONE, web_client_for

# docs/screenshots/ is refreshed on demand (UPDATE_SCREENSHOTS=1), so that an ordinary test
# run leaves the work tree clean; otherwise the pictures are still taken, into a temp folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "voisinage-screenshots"
)


def sign_in(page, live_server, user) -> None:
    """Give the browser a console session for `user` (the sign-in form has its own test)."""
    client = web_client_for(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def screenshot(page, name: str) -> None:
    """Save the current page as <SCREENSHOTS>/<name>.png (desktop, full page) and
    <name>-phone.png (360 px wide), then give the page back its desktop size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
