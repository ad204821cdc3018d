"""How a task leaves the process that schedules it: the project's Celery app class.

Three ways, one choice per process (docs/operations.md):

- **a broker** (REDIS_URL): published to Redis for a worker. A broker that does not answer
  never fails the request that scheduled the task: the error is logged and counted, and the
  outbox's periodic sweep re-schedules the work from the database (every task here is an id
  and a row that says what is left to do);
- **in-process** (no broker, the `make run` default): a background thread of this process runs
  the tasks, their retries and the periodic ones, so an announcement answers at once here too;
  a process that stops loses nothing but the queue in memory, which the sweep rebuilds from
  the database when the next process starts;
- **eager** (the tests, CELERY_TASK_ALWAYS_EAGER): inline, in the caller's thread.

Tasks sent by name (`celery.signature(name)`) take the same three ways.
"""

from __future__ import annotations

import atexit
import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from celery import Celery
from kombu.exceptions import OperationalError

logger = logging.getLogger("voisinage.tasks")

# What a broker that is down or unreachable raises while publishing (kombu wraps most).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, TimeoutError)
try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    BROKER_ERRORS += (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover (redis comes with celery[redis])
    pass

# Options of apply_async that mean nothing to an in-process run.
_EAGER_OPTIONS = {"task_id", "headers"}


class TaskApp(Celery):
    def task_by_name(self, name: str):
        """The registered task; task modules are imported on first need (a web process that
        sends by name may not have imported them yet)."""
        try:
            return self.tasks[name]
        except KeyError:
            self.loader.import_default_modules()
            return self.tasks[name]

    def send_task(self, name, args=None, kwargs=None, **options):
        if self.conf.task_always_eager:
            eager = {key: value for key, value in options.items() if key in _EAGER_OPTIONS}
            return self.task_by_name(name).apply(args, kwargs, **eager)
        if in_process_enabled(self):
            return runner(self).submit(name, args, kwargs, options)
        try:
            return super().send_task(name, args, kwargs, **options)
        except BROKER_ERRORS as error:
            # The row that asked for this work is committed; the sweep will find it.
            from backend.observability.metrics import TASK_PUBLISH_FAILURES

            TASK_PUBLISH_FAILURES.labels(name).inc()
            logger.warning(
                "broker unavailable, %s left to the sweep",
                name,
                extra={"task": name, "error": f"{type(error).__name__}: {error}"},
            )
            return self.AsyncResult(options.get("task_id") or "unsent")


def in_process_enabled(app: Celery) -> bool:
    from django.conf import settings

    return bool(getattr(settings, "TASKS_IN_PROCESS", False)) and str(
        app.conf.broker_url or ""
    ).startswith("memory://")


# --------------------------------------------------------------------------- in-process


class InProcessRunner:
    """One daemon thread that runs tasks in the order they fall due.

    Each task runs in a copy of the scheduling context (its request id), through
    `Task.apply` (signals, retries and outcomes as in a worker), on the thread's own database
    connection, closed after each task."""

    def __init__(self, app: Celery) -> None:
        self.app = app
        self.queue: list[tuple[float, int, Callable[[], None]]] = []
        self.counter = itertools.count()
        self.condition = threading.Condition()
        self.busy = False
        self.thread: threading.Thread | None = None
        self.periodic_started = False
        self.stopped = False

    # -- scheduling

    def _push(self, due: float, job: Callable[[], None]) -> None:
        with self.condition:
            heapq.heappush(self.queue, (due, next(self.counter), job))
            self._ensure_thread()
            self.condition.notify()

    def submit(self, name: str, args, kwargs, options: dict):
        task_id = options.get("task_id") or _uuid()
        headers = options.get("headers")
        delay = _delay_of(options)
        context = contextvars.copy_context()

        def job() -> None:
            task = self.app.task_by_name(name)
            context.run(task.apply, args, kwargs, task_id=task_id, headers=headers)

        self._push(time.monotonic() + delay, job)
        return self.app.AsyncResult(task_id)

    def start_periodic(self) -> None:
        """Beat, in this process: every periodic task on its schedule. Interval entries
        (the outbox sweep) run at once: what a stopped process left is picked up at start."""
        from celery.schedules import maybe_schedule, schedule

        from backend import celery as celery_module

        with self.condition:
            if self.periodic_started:
                return
            self.periodic_started = True
        entries = dict(self.app.conf.beat_schedule or {})
        collect = getattr(celery_module, "collected_periodic_tasks", None)
        if collect is not None:
            entries.update(collect())
        for entry_name, entry in entries.items():
            every = maybe_schedule(entry["schedule"], app=self.app)
            last = None if isinstance(every, schedule) else self.app.now()
            self._push(time.monotonic(), self._tick(entry_name, entry, every, last))

    def _tick(self, entry_name: str, entry: dict, every, last: datetime | None):
        def job() -> None:
            due, next_check = (
                (True, every.run_every.total_seconds()) if last is None else (every.is_due(last))
            )
            ran = last
            if due:
                ran = self.app.now()
                try:
                    self.app.task_by_name(entry["task"]).apply(
                        entry.get("args", ()), entry.get("kwargs", {})
                    )
                except Exception:
                    logger.exception("periodic task %s failed", entry_name)
                if last is None:
                    next_check = every.is_due(ran)[1]
            self._push(
                time.monotonic() + max(1.0, next_check), self._tick(entry_name, entry, every, ran)
            )

        return job

    # -- running

    def _ensure_thread(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="tasks-in-process", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        from django.db import connections

        while True:
            with self.condition:
                while not self.stopped and (not self.queue or self.queue[0][0] > time.monotonic()):
                    timeout = self.queue[0][0] - time.monotonic() if self.queue else None
                    self.condition.wait(timeout)
                if self.stopped:
                    return
                _, _, job = heapq.heappop(self.queue)
                self.busy = True
            try:
                job()
            except Exception:
                logger.exception("in-process task failed")
            finally:
                connections.close_all()
                with self.condition:
                    self.busy = False
                    self.condition.notify_all()

    def stop(self) -> None:
        """Leave what is queued (the database keeps what it stands for) and end the thread."""
        with self.condition:
            self.stopped = True
            self.queue.clear()
            self.condition.notify_all()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=30)

    def drain(self, timeout: float) -> bool:
        """Wait until nothing due is queued or running (not the later retries and ticks)."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.busy or (self.queue and self.queue[0][0] <= time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(min(left, 0.05))
        return True


_runners: dict[int, InProcessRunner] = {}
_runners_lock = threading.Lock()
DRAIN_AT_EXIT_SECONDS = 10.0


def runner(app: Celery) -> InProcessRunner:
    with _runners_lock:
        found = _runners.get(id(app))
        if found is None:
            found = _runners[id(app)] = InProcessRunner(app)
            # A command (seed_demo, send_test_push) finishes the work it scheduled before the
            # interpreter leaves; anything cut short is still in the database for the sweep.
            atexit.register(found.drain, DRAIN_AT_EXIT_SECONDS)
        return found


def start_in_process_worker(app: Celery) -> None:
    """Called by the web process (backend/wsgi.py): without a broker, start the thread and
    the periodic tasks (the first outbox sweep at once)."""
    if in_process_enabled(app) and not app.conf.task_always_eager:
        runner(app).start_periodic()


def _delay_of(options: dict) -> float:
    countdown = options.get("countdown")
    eta = options.get("eta")
    if eta is not None:
        from django.utils import timezone

        return max(0.0, (eta - timezone.now()).total_seconds())
    return max(0.0, float(countdown or 0))


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())
