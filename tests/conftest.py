"""Shared fixtures. The analysis core is tested without a display: nothing here imports Qt."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True, scope="session")
def _private_config_folder(tmp_path_factory):
    """Every test (and the processes it starts) writes kinewrite's configuration (the study
    index key, calibrations, settings) into a folder of the test run, never the user's."""
    import os

    saved = os.environ.get("KINEWRITE_CONFIG_DIR")
    os.environ["KINEWRITE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("config"))
    yield
    if saved is None:
        os.environ.pop("KINEWRITE_CONFIG_DIR", None)
    else:
        os.environ["KINEWRITE_CONFIG_DIR"] = saved
