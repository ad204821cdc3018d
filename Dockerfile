# syntax=docker/dockerfile:1
# Voisinage API image: one image for the web process (gunicorn), the Celery worker and beat.
#   docker build -t voisinage .        (or `docker compose up -d --build`: compose.yaml)
#   docker run --env-file .env -p 8000:8000 voisinage                      # API
#   docker run --env-file .env --no-healthcheck voisinage celery -A backend worker --loglevel=info
#   docker run --env-file .env --no-healthcheck voisinage celery -A backend beat --loglevel=info \
#       --schedule /tmp/celerybeat-schedule
# tests/test_deploy.py replays the builder's COPY lines and the same build, collectstatic and
# `check --deploy` steps without a Docker engine: keep the two in step.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: build the project wheel and install it with its dependencies into /opt/venv ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip
WORKDIR /src
# Only what the wheel is built from (the package data rules live in pyproject.toml).
COPY pyproject.toml ./
COPY backend ./backend
COPY api ./api
COPY services ./services
COPY notifications ./notifications
COPY web ./web
COPY demo ./demo
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install /wheels/*.whl

# --- runtime: slim, no compiler, no source tree, non-root ---
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=backend.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Static files are collected at build time. The secrets below are throw-away values that exist
# only for this one command (production settings refuse to start without them); they are not
# stored in the image's environment: the real ones come from `docker run --env-file`.
RUN SECRET_KEY=build-only-not-a-secret-0a8f3c1e9b7d5f2a4c6e8b0d1f3a5c7e9b1d3f5a7c \
    JWT_SIGNING_KEY=build-only-not-a-secret-7e5c3a1f9d7b5e3c1a9f7d5b3e1c9a7f5d3b1e9c7a \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    ALLOWED_HOSTS=localhost \
    django-admin collectstatic --noinput \
    && rm -f /tmp/build-only.sqlite3 \
    && mkdir -p /app/media /var/lib/beat \
    && chown app:app /app/media /var/lib/beat
USER app
EXPOSE 8000
# No curl in the slim image: Python asks /healthz, with a Host header that ALLOWED_HOSTS accepts
# (/healthz is exempt from the HTTPS redirect).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4); raise SystemExit(0 if r.status == 200 else 1)"]
# Workers from the CPU count, timeouts, log format: backend/gunicorn_conf.py (inside the wheel).
CMD ["gunicorn", "backend.wsgi:application", "--config", "python:backend.gunicorn_conf"]
