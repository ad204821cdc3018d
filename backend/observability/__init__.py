"""What an on-call person sees: request ids, JSON logs, Prometheus metrics, Sentry.

Wiring, like the rest of `backend/`: it observes every layer (a middleware around each
request, Celery signals around each task, read-only counts of the domain's tables at scrape
time) and changes none of them. See docs/operations.md.
"""
