"""Moved to :mod:`kinewrite.export.bids` (issue 16); re-exported for old imports."""

from ..export.bids import *  # noqa: F403
from ..export.bids import __all__ as __all__
from ..export.bids_files import NA as NA  # storage.bids_import reads it from here
from ..export.bids_motion import rebuilt_latency as rebuilt_latency
