import pytest

from tests.factories.jobs import ensure_rome_reference


@pytest.fixture(autouse=True)
def _rome_when_db(request):
    """The ROME reference for database tests (transactional ones flush it: they load it)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and not marker.kwargs.get("transaction"):
        request.getfixturevalue("db")
        ensure_rome_reference()
