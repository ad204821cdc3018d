"""Celery signals: the request id travels from the request that scheduled a task into the task
(a message header), and every task outcome is counted."""

import os
import shutil
from pathlib import Path

from celery import signals

from . import requestid
from .metrics import CELERY_TASKS

HEADER = "request_id"
_tokens: dict[str, object] = {}


@signals.before_task_publish.connect
def _add_request_id(sender=None, headers=None, **kwargs) -> None:
    current = requestid.get()
    if current and headers is not None:
        headers.setdefault(HEADER, current)


def _request_id_of(task) -> str:
    request = getattr(task, "request", None)
    found = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return found or ""


@signals.task_prerun.connect
def _enter_request(task_id=None, task=None, **kwargs) -> None:
    found = _request_id_of(task)
    if found and task_id:
        _tokens[task_id] = requestid.current.set(found)


@signals.task_postrun.connect
def _leave_request(task_id=None, **kwargs) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        requestid.current.reset(token)


def _name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


@signals.task_success.connect
def _count_success(sender=None, **kwargs) -> None:
    CELERY_TASKS.labels(_name(sender), "success").inc()


@signals.task_failure.connect
def _count_failure(sender=None, **kwargs) -> None:
    CELERY_TASKS.labels(_name(sender), "failure").inc()


@signals.task_retry.connect
def _count_retry(sender=None, **kwargs) -> None:
    CELERY_TASKS.labels(_name(sender), "retry").inc()


@signals.task_rejected.connect
def _count_rejected(sender=None, message=None, **kwargs) -> None:
    name = (getattr(message, "headers", None) or {}).get("task", "unknown")
    CELERY_TASKS.labels(name, "rejected").inc()


@signals.task_revoked.connect
def _count_revoked(sender=None, request=None, **kwargs) -> None:
    CELERY_TASKS.labels(_name(sender), "revoked").inc()


# A prefork worker's children count in PROMETHEUS_MULTIPROC_DIR; the main process serves the
# sum on WORKER_METRICS_PORT (the worker has no Django HTTP endpoint).
@signals.worker_init.connect
def _fresh_metrics_dir(**kwargs) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


@signals.worker_ready.connect
def _serve_worker_metrics(**kwargs) -> None:
    port = os.environ.get("WORKER_METRICS_PORT")
    if not (port and os.environ.get("PROMETHEUS_MULTIPROC_DIR")):
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), registry=registry)


@signals.worker_process_shutdown.connect
def _forget_child(pid=None, **kwargs) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
