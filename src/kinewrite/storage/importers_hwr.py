"""Moved to :mod:`kinewrite.formats.hwr` (issue 16): re-exported here for the old path."""

from ..formats.hwr import HWR_COLUMNS, parse_hwr, read_hwr_file

__all__ = ["HWR_COLUMNS", "parse_hwr", "read_hwr_file"]
