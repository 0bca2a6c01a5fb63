"""Fixtures shared by the compiled rung's tests (forward and backward)."""

import pytest

from chanconv.core.methods import compiled


@pytest.fixture(scope="module")
def built():
    """The compiled rung, built or loaded from the cache (use with a skip when it is absent here)."""
    try:
        compiled.load()
    except RuntimeError as exc:  # a compiler that is there but fails is a failure, not a skip
        pytest.fail(str(exc))
    return compiled
