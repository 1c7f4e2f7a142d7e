"""Shared fixtures. The analysis core is tested without a display: nothing here imports Qt."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
