import pytest

from spacy_juicer import assets


@pytest.fixture(scope="session")
def data_dir():
    """The shared data mirror; tests that read real corpus lines skip without it."""
    path = assets.data_dir(required=False)
    if path is None:
        pytest.skip("data mirror not found: set SPACY_JUICER_DATA=/path/to/shared/data")
    return path
