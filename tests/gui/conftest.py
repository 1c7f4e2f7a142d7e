"""GUI tests run offscreen (no display needed) with pytest-qt's ``qtbot``.

The platform is chosen before any Qt import; the xcb tests under Xvfb or Xorg set their own.

``xorg_pen``: a real Xorg (dummy video driver) with a virtual stylus on the ``inputtest``
input driver, started once per test session on a free display and stopped at its end
(``tools/xorg_pen.py``; config, socket and log in a temporary folder). Tests using it are
skipped, with the reason, only where Xorg cannot start (not installed, not root); with
``KINEWRITE_REQUIRE_XORG=1`` (CI) they fail there instead.
"""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TOOLS = Path(__file__).resolve().parents[2] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))


@pytest.fixture(scope="session")
def xorg_pen():
    """The running :class:`xorg_pen.XorgPen` (``display``, ``pen``, ``env()``)."""
    import xorg_pen as xp

    # CI sets KINEWRITE_REQUIRE_XORG=1 (.ci/run): there the tablet path must run, never skip
    give_up = pytest.fail if os.environ.get("KINEWRITE_REQUIRE_XORG") else pytest.skip
    problem = xp.xorg_problem()
    if problem:
        give_up(problem)
    try:
        server = xp.xorg_pen()
        running = server.__enter__()
    except RuntimeError as exc:
        give_up(f"Xorg could not start here: {exc}")
    try:
        yield running
    finally:
        server.__exit__(None, None, None)
