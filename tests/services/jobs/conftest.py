import pytest

from tests.factories.jobs import ensure_rome_reference


@pytest.fixture
def rome(db):
    ensure_rome_reference()


@pytest.fixture(autouse=True)
def _rome_when_db(request):
    """Reload the ROME reference for database tests (not transactional ones: they flush)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and not marker.kwargs.get("transaction"):
        request.getfixturevalue("rome")
