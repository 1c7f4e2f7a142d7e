"""Moved to :mod:`kinewrite.export` (issue 16); this module re-exports it for old imports."""

from ..export import *  # noqa: F403
from ..export import __all__ as __all__
from ..export.executors import isolated_rows_or_problem as _isolated_rows_or_problem  # noqa: F401
