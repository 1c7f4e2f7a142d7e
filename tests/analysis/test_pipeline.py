"""pipeline.py: prepare() and the signals every family shares, on movements with a known
answer (docs/science.md §2, §4, §5)."""

import numpy as np
import pytest

from kinewrite.analysis.pipeline import (
    RHYTHM_TOP_HZ,
    prepare,
    rhythm_exclusion_hz,
    writing_strokes,
)
from kinewrite.model import Recording, RecordingError


def _slanted_line(speed_mm_s: float, slant_deg: float, seconds: float = 2.0,
                  rate_hz: float = 133.0) -> Recording:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    a = np.radians(slant_deg)
    s = speed_mm_s * t
    return Recording(t=t, x=10 + s * np.cos(a), y=20 + s * np.sin(a))


@pytest.mark.parametrize("task", ["free", "lines"])
def test_constant_speed_line_has_that_speed_and_no_acceleration(task):
    """A straight line at 40 mm/s, slanted 15 degrees: speed 40 mm/s on the 200 Hz grid,
    acceleration 0; writing tasks turn the baseline horizontal (v_y = 0), others keep the
    tablet frame (v_y = 40 sin 15 deg)."""
    p = prepare(_slanted_line(40.0, 15.0), task)
    inner = slice(p.filter_settle, -p.filter_settle)
    np.testing.assert_allclose(p.speed[inner], 40.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(p.ax, p.ay)[inner], 0.0, atol=1e-4)  # mm/s²
    assert np.diff(p.g_t) == pytest.approx(np.full(p.g_t.size - 1, 1 / 200.0))
    if task == "free":
        assert np.degrees(p.baseline_rad) == pytest.approx(15.0, abs=1e-6)
        np.testing.assert_allclose(p.vy[inner], 0.0, atol=1e-6)
    else:
        assert p.baseline_rad == 0.0
        np.testing.assert_allclose(p.vy[inner], 40.0 * np.sin(np.radians(15.0)), rtol=1e-6)


def test_source_index_maps_kept_samples_back_to_recording_rows():
    t = np.array([0.00, 0.01, 0.02, 0.02, 0.03, 0.04])
    x = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 4.0])  # row 3 repeats row 2 exactly
    p = prepare(Recording(t=t, x=x, y=np.zeros(6)), "lines")
    assert p.source_index.tolist() == [0, 1, 2, 4, 5]
    np.testing.assert_array_equal(p.x, x[p.source_index])


def test_loop_train_rhythm_and_its_harmonics_are_excluded_for_writing_only():
    """Vertical loops at 2.5 Hz: strokes of 0.2 s, so the rhythm 1 / (2 x 0.2) = 2.5 Hz and
    its multiples up to 12.5 Hz are left out of the tremor search for a writing task."""
    t = np.arange(0, 6.0, 1 / 133.0)
    rec = Recording(t=t, x=8.0 * t + 2.0 * np.cos(2 * np.pi * 2.5 * t),
                    y=3.0 * np.sin(2 * np.pi * 2.5 * t))
    p = prepare(rec, "loops")
    strokes = writing_strokes(p)
    assert np.median(strokes.duration_s) == pytest.approx(0.2, abs=0.002)
    ex = rhythm_exclusion_hz("loops", strokes)
    hz = 1 / (2 * np.median(strokes.duration_s))
    np.testing.assert_allclose(ex, hz * np.arange(1, ex.size + 1), rtol=1e-12)
    assert ex[-2] <= RHYTHM_TOP_HZ < ex[-1] + hz  # every multiple up to 12.5 Hz, one beyond
    assert rhythm_exclusion_hz("circles", strokes) is None  # not a writing task


def test_pen_never_down_is_refused():
    with pytest.raises(RecordingError, match="pen never touches"):
        prepare(Recording(t=np.arange(3.0), x=np.zeros(3), y=np.zeros(3),
                          pen_down=np.zeros(3, bool)))
