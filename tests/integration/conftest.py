import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fixtures"))
sys.path.insert(0, str(HERE))
pytest_plugins = ["pytest_fixtures"]

from crio_daemon import Crio  # noqa: E402


@pytest.fixture
def crio(tmp_path):
    """A running crio on a temporary root with default settings."""
    d = Crio(tmp_path).start()
    yield d
    rc = d.stop()
    assert rc == 0, f"crio exited with {rc} on SIGTERM:\n{d.logs()}"


@pytest.fixture
def crio_factory(tmp_path):
    """Makes daemons with their own config; stops whatever is left at the end."""
    made = []

    def make(config="", extra_args=(), subdir=None):
        d = Crio(tmp_path / (subdir or f"d{len(made)}"), config, extra_args)
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop()
