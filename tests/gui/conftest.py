"""GUI tests run offscreen (no display needed) with pytest-qt's ``qtbot``.

The platform is chosen before any Qt import; the xcb tests under Xvfb set their own.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
