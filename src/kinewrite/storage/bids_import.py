"""Moved to :mod:`kinewrite.formats.bids_reader` (issue 16): re-exported here for the old
path."""

from ..formats.bids_reader import BidsSession, import_bids, read_bids_subject, read_motion_file

__all__ = ["BidsSession", "import_bids", "read_bids_subject", "read_motion_file"]
