"""Recording validation: every documented error, one line each."""

import numpy as np
import pytest

from kinewrite import Recording, RecordingError, extract_features


def _rec(**kw):
    base = {"t": np.arange(10) / 100, "x": np.arange(10.0), "y": np.zeros(10)}
    base.update(kw)
    return Recording(**base)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t": [], "x": [], "y": []}, "empty"),
        ({"x": np.arange(9.0)}, "lengths differ"),
        ({"t": np.r_[0.0, np.nan, np.arange(2, 10) / 100]}, "t has 1 non-finite"),
        ({"y": np.r_[np.inf, np.zeros(9)]}, "y has 1 non-finite"),
        ({"pressure": np.full(10, 1.5)}, "pressure must be a fraction"),
        ({"pen_down": np.full(10, 2)}, "pen_down must hold booleans"),
        ({"t": np.zeros((2, 5))}, "must be 1-D"),
        ({"x": ["a"] * 10}, "not numeric"),
    ],
)
def test_invalid_recordings_raise_one_line(kwargs, message):
    with pytest.raises(RecordingError, match=message) as info:
        _rec(**kwargs)
    assert "\n" not in str(info.value)


def test_defaults_pen_down_and_converts_zero_one():
    rec = _rec(pen_down=np.r_[np.ones(5), np.zeros(5)])
    assert rec.pen_down.dtype == bool
    assert rec.pen_down.sum() == 5
    assert _rec().pen_down.all()


def test_pen_never_down_is_a_validation_error():
    rec = _rec(pen_down=np.zeros(10, dtype=bool))
    with pytest.raises(RecordingError, match="pen never touches"):
        extract_features(rec)


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        extract_features(_rec(), task="doodle")
