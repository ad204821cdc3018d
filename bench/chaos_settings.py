"""Settings for bench/chaos.py: bench/settings.py, with the outbox's own log lines (the
sweep resuming a stalled fan-out, handing over due deliveries) kept at INFO with their time,
so a run's worker logs say which path picked up what a fault left behind."""

import os

from bench.settings import *  # noqa: F403

# 0 turns off what a push task does after its batch (notifications/tasks.py): the run before.
NOTIFICATIONS_FOLLOW_ON_SECONDS = float(os.environ.get("BENCH_FOLLOW_ON_SECONDS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"timed": {"format": "[%(asctime)s %(levelname)s %(name)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "timed"}},
    "root": {"level": "WARNING", "handlers": ["console"]},
    "loggers": {"notifications": {"level": "INFO"}},
}
