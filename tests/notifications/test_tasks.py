from backend.celery import app


def test_the_sweep_is_scheduled_periodically():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["notifications.sweep_pending_deliveries"]
    assert entry["task"] == "notifications.sweep_pending_deliveries"
    assert entry["schedule"] == 10.0
