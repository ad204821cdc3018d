"""Settings for bench/push_fanout.py and its worker: the local settings from the
environment, a queue of their own, and short retry delays so a run ends quickly."""

import os

from backend.settings.local import *  # noqa: F403

DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench-notifications")
NOTIFICATIONS_RETRY_BASE_SECONDS = float(os.environ.get("BENCH_RETRY_BASE_SECONDS", "2"))
FCM_CONCURRENCY = int(os.environ.get("FCM_CONCURRENCY", "100"))
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
