import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
application = get_wsgi_application()

# Without a broker (`make run`), a thread of this process runs the tasks and the periodic ones.
from backend.celery import app as celery_app  # noqa: E402
from backend.taskqueue import start_in_process_worker  # noqa: E402

start_in_process_worker(celery_app)
