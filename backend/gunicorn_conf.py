"""gunicorn settings for the API process: `gunicorn backend.wsgi:application -c
python:backend.gunicorn_conf` (the Docker image's CMD and compose.yaml's `api` service).

A module of the `backend` package (not a loose gunicorn.conf.py) so that it ships inside the
wheel the image installs. Every value can be changed from the environment.
"""

import os
import shutil


def _cpus() -> int:
    # The CPUs this process may run on (a container's cpuset), not the host's count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # all interfaces: inside a container
# Synchronous workers: the classic 2 x CPUs + 1 for an I/O-bound Django app; WEB_CONCURRENCY
# (gunicorn's own variable) wins.
workers = _int("WEB_CONCURRENCY", 2 * _cpus() + 1)
worker_class = "sync"
# A request taking longer than this is killed (the worker restarts); announcements and
# imports answer at once and leave the work to Celery, so 30 s is generous.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Behind a load balancer that keeps connections open: a little longer than nothing.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so that a slow leak never grows; jitter spreads the restarts.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The heartbeat file in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Only the proxy in front may set X-Forwarded-* (its address, or * inside a private network).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The application writes one JSON line per request (backend/observability); gunicorn's own
# access log would repeat it, so it is off unless GUNICORN_ACCESS_LOG names a file or "-".
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# logfmt: remote address, request line, status, bytes, duration (ms), the request id the
# application returned, user agent.
access_log_format = (
    'remote=%(h)s request="%(r)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s '
    'request_id=%({x-request-id}o)s user_agent="%(a)s"'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Application errors go to Django's logging (JSON) and Sentry; gunicorn keeps its own lines.
capture_output = False


# Prometheus counters of every worker add up in one scrape (backend/observability/metrics.py)
# when PROMETHEUS_MULTIPROC_DIR is set: a fresh directory per start, a dead worker's files
# merged into the totals.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
