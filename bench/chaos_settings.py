"""Settings for bench/chaos.py: bench/settings.py, with the outbox's own log lines (the
sweep resuming a stalled fan-out, handing over due deliveries) kept at INFO with their time,
so a run's worker logs say which path picked up what a fault left behind."""

from bench.settings import *  # noqa: F403

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"timed": {"format": "[%(asctime)s %(levelname)s %(name)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "timed"}},
    "root": {"level": "WARNING", "handlers": ["console"]},
    "loggers": {"notifications": {"level": "INFO"}},
}
