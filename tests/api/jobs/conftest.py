# The same ROME fixtures as the domain tests (transactional tests flush the reference).
from tests.services.jobs.conftest import _rome_when_db, rome  # noqa: F401
