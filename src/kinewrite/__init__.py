"""kinewrite: handwriting kinematics for writer's cramp.

The public API: :class:`Recording` (one trial's samples), :func:`extract_features` (every
registered measure of a trial), :data:`FEATURES` (the registry), :func:`load_session` (one
session file), :func:`open_study` (a folder of them), :func:`read_csv_recording` and
:func:`write_csv_recording` (a recording as CSV) and :mod:`kinewrite.simulate` (synthetic
trials with known truth). Nothing here imports Qt.
"""

from ._version import __version__
from .analysis.features import ANALYSIS_VERSION, FEATURES, extract_features, feature_names
from .errors import InputError
from .formats.csv import read_csv_recording, write_csv_recording
from .model import TASKS, Recording, RecordingError
from .storage.reader import load_session
from .storage.study import open_study

__all__ = [
    "ANALYSIS_VERSION",
    "FEATURES",
    "TASKS",
    "InputError",
    "Recording",
    "RecordingError",
    "__version__",
    "extract_features",
    "feature_names",
    "load_session",
    "open_study",
    "read_csv_recording",
    "write_csv_recording",
]
