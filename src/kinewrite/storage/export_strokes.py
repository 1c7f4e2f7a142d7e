"""Moved to :mod:`kinewrite.export.strokes` (issue 16); re-exported for old imports."""

from ..export.strokes import *  # noqa: F403
from ..export.strokes import __all__ as __all__
