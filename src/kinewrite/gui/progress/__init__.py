"""The Progress view (temporary)."""

from .view import *  # noqa: F403
from .view import MOUSE_TEXT, NO_TREMOR_TEXT, NOT_MEASURED_TEXT, REAL_CHANGE_TEXT  # noqa: F401
