"""Properties that must hold for any input (hypothesis).

- Speed-based features do not change when the drawing is translated or rotated on the tablet.
- No feature changes when the clock is shifted.
- On any valid input every feature is finite or NaN, and the only exception is the
  documented :class:`~kinewrite.RecordingError`.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kinewrite import TASKS, Recording, RecordingError, extract_features
from kinewrite.simulate import simulate_trial

SPEED_FEATURES = ["path_length_mm", "speed_mean_mm_s", "speed_median_mm_s", "speed_p95_mm_s",
                  "speed_cv", "acceleration_mean_mm_s2", "jerk_mean_mm_s3",
                  "tremor_frequency_hz", "tremor_amplitude_rms_mm", "pen_down_time_s",
                  "in_air_time_s", "duration_s"]

trial_params = st.fixed_dictionaries({
    "task": st.sampled_from(["loops", "circles", "lines", "sentence", "spiral"]),
    "seed": st.integers(0, 2**16),
    "tremor": st.sampled_from([None, 5.0, 7.5]),
})


def _trial(params):
    seconds = {"loops": 5.0, "circles": 6.0, "lines": 4.0, "sentence": 6.0, "spiral": 8.0}
    task = params["task"]
    tremor = params["tremor"]
    return task, simulate_trial(task, seconds[task], seed=params["seed"], tremor_hz=tremor,
                                tremor_mm=0.3 if tremor else 0.0).recording


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=trial_params, dx=st.floats(-500, 500), dy=st.floats(-500, 500),
       angle=st.floats(-np.pi, np.pi))
def test_speed_features_invariant_to_translation_and_rotation(params, dx, dy, angle):
    _task, rec = _trial(params)
    c, s = np.cos(angle), np.sin(angle)
    moved = Recording(t=rec.t, x=c * rec.x - s * rec.y + dx, y=s * rec.x + c * rec.y + dy,
                      pressure=rec.pressure, pen_down=rec.pen_down)
    a = extract_features(rec, task="circles")
    b = extract_features(moved, task="circles")
    for name in SPEED_FEATURES:
        assert _close(a[name], b[name], rel=1e-6, abs_=1e-6), (name, a[name], b[name])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=trial_params, shift=st.floats(-1e5, 1e5))
def test_features_invariant_to_time_shift(params, shift):
    task, rec = _trial(params)
    later = Recording(t=rec.t + shift, x=rec.x, y=rec.y, pressure=rec.pressure,
                      pen_down=rec.pen_down)
    a = extract_features(rec, task=task)
    b = extract_features(later, task=task)
    for name in a:
        # a shifted clock carries float rounding of |shift| * 1e-16 s into the timestamps
        assert _close(a[name], b[name], rel=1e-5, abs_=1e-5), (name, a[name], b[name])


finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


@st.composite
def any_recording(draw):
    n = draw(st.integers(1, 300))
    t = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 100, allow_nan=False)))
    if draw(st.booleans()):
        t = np.sort(t)
    if draw(st.booleans()):
        t = np.round(t, 3)  # ms quantized, duplicates likely
    x = draw(hnp.arrays(np.float64, n, elements=finite))
    y = draw(hnp.arrays(np.float64, n, elements=finite))
    pen = draw(hnp.arrays(np.bool_, n))
    pressure = draw(st.one_of(st.none(), hnp.arrays(np.float64, n, elements=st.floats(0, 1))))
    return Recording(t=t, x=x, y=y, pen_down=pen, pressure=pressure)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=any_recording(), task=st.sampled_from(TASKS))
def test_any_valid_input_gives_finite_or_nan_and_only_the_documented_error(rec, task):
    try:
        out = extract_features(rec, task=task)
    except RecordingError as exc:
        assert not rec.pen_down.any(), f"unexpected RecordingError: {exc}"
        return
    for name, value in out.items():
        assert isinstance(value, float), name
        assert math.isfinite(value) or math.isnan(value), (name, value)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 50), step=st.sampled_from([0.0, 0.001, 0.0075]))
def test_degenerate_clocks_do_not_crash(n, step):
    t = np.arange(n) * step  # all equal when step is 0
    rec = Recording(t=t, x=np.linspace(0, 5, n), y=np.zeros(n))
    out = extract_features(rec, task="lines")
    assert all(math.isfinite(v) or math.isnan(v) for v in out.values())


def test_single_sample_recording():
    out = extract_features(Recording(t=[0.0], x=[1.0], y=[2.0]), task="free")
    assert out["duration_s"] == 0.0
    assert np.isnan(out["speed_mean_mm_s"])


@pytest.mark.parametrize("task", TASKS)
def test_tasks_all_run_on_a_short_scribble(task):
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 2, 200))
    rec = Recording(t=t, x=np.cumsum(rng.normal(size=200)), y=np.cumsum(rng.normal(size=200)))
    out = extract_features(rec, task=task)
    assert all(math.isfinite(v) or math.isnan(v) for v in out.values())
