"""Settings for the worker process the real-worker test starts: the local settings (from
the environment), on the test's own queue so parallel runs sharing Redis never mix."""

import os

from backend.settings.local import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["NOTIFICATIONS_TEST_QUEUE"]
