"""Settings for bench/feed.py's gunicorn: the local settings from the environment, `DEBUG`
off, and bench/feed_urls.py (the project plus the bare view) as the URL configuration."""

from backend.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.feed_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
