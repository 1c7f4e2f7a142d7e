"""Moved to :mod:`kinewrite.export.study_columns` (issue 16); re-exported for old imports."""

from ..export.study_columns import *  # noqa: F403
from ..export.study_columns import __all__ as __all__
