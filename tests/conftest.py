"""Shared fixtures. The analysis core is tested without a display: nothing here imports Qt."""

import numpy as np
import pytest

from kinewrite.trial_features import finish_trial


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


@pytest.fixture
def tmpfs(tmp_path):
    """Mount small tmpfs filesystems: ``tmpfs("8m")``, ``tmpfs("256k", full=True)`` (filled
    to the last byte, by a file ``filler``, after writing ``files``: name -> bytes),
    ``tmpfs("64k", readonly=True)``; unmounted
    afterwards. Needs the right to mount (root, as in CI); the test is skipped otherwise."""
    import errno
    import os
    import shutil
    import subprocess

    mounted = []

    def mount(size: str, full: bool = False, readonly: bool = False, name: str = "",
              files: dict | None = None):
        target = tmp_path / (name or f"tmpfs{len(mounted)}")
        target.mkdir(exist_ok=True)
        options = f"{'ro,' if readonly else ''}size={size}"
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a small filesystem here: {r.stderr.strip()}")
        mounted.append(target)
        for file_name, data in (files or {}).items():  # written before it is filled
            (target / file_name).write_bytes(data)
        if full:
            fd = os.open(target / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for block in (4096, 512, 1):  # unbuffered: the last byte it takes is written
                    try:
                        while True:
                            os.write(fd, b"\0" * block)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)
            assert shutil.disk_usage(target).free < 4096
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", str(target)], check=False)


@pytest.fixture
def mouse_study(tmp_path):
    """A study of patient WC-032: a sentence on the tablet (2025-01-06), then one recorded
    with a mouse (2025-02-03), written by the real SessionWriter."""
    from kinewrite.simulate import simulate_trial
    from kinewrite.storage.schema import STATE_TOUCH
    from kinewrite.storage.writer import SessionWriter

    for when, source in (("2025-01-06T09:00:00Z", "tablet"),
                         ("2025-02-03T09:00:00Z", "mouse")):
        with SessionWriter.create(tmp_path, "WC-032", created=when) as w:
            rec = simulate_trial("sentence", 6.0, seed=3).recording
            w.begin_trial("sentence", 133.0, source,
                          channels=("t", "x", "y", "pressure", "state"))
            w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                     state=np.full(rec.t.size, STATE_TOUCH))
            finish_trial(w, "complete")
    return tmp_path


def _why_qt_does_not_load() -> str | None:
    """None if PyQt6's GUI module loads, else why not (its first line)."""
    try:
        from PyQt6 import QtGui  # noqa: F401
    except (ImportError, OSError) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def pytest_collection_modifyitems(config, items):
    """The README's Qt-free run (``-p no:pytest-qt`` on a machine without Qt's system
    libraries): the tests marked ``qt`` (they draw a chart, a PDF or a window) are skipped
    with the reason. With pytest-qt loaded, as in CI, nothing is skipped: pytest-qt loads Qt
    at start and a missing library stops the run there."""
    if config.pluginmanager.has_plugin("pytest-qt"):
        return
    reason = _why_qt_does_not_load()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"Qt does not load here ({reason})")
    for item in items:
        if item.get_closest_marker("qt") is not None:
            item.add_marker(skip)
