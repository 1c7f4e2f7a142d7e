"""QualityMonitor: exact counts on synthetic clocks of known rate, duplicates, gaps and pen
states, the same numbers whatever the block split, and agreement with the analysis' rebuilt
clock."""

from __future__ import annotations

import numpy as np
import pytest

from kinewrite.acquisition.quality import QualityMonitor
from kinewrite.analysis.preprocess import rebuild_clock
from kinewrite.simulate import tablet_clock

RATE = 133.0
P = 1.0 / RATE


def feed(monitor: QualityMonitor, t, host=None, state=None, rng=None, max_block=40):
    """Feed in random-size blocks, as the recorder's 50 ms drains would."""
    rng = rng or np.random.default_rng(0)
    i, n = 0, len(t)
    while i < n:
        k = int(rng.integers(1, max_block))
        s = slice(i, i + k)
        monitor.update(t[s], None if host is None else host[s],
                       None if state is None else state[s])
        i += k
    return monitor.snapshot()


def test_clean_clock_exact():
    t = np.arange(1331) * P  # 10 s at 133 Hz
    r = feed(QualityMonitor(RATE), t)
    assert r.n_samples == 1331
    assert r.duration_s == pytest.approx(10.0, abs=1e-12)
    assert r.effective_rate_hz == pytest.approx(RATE, rel=1e-12)
    assert (r.duplicate_timestamps, r.gaps, r.dropped_estimate, r.backward_steps) == (0, 0, 0, 0)
    assert r.jitter_ms == pytest.approx(0.0, abs=1e-9)
    assert r.pen_down_s == pytest.approx(10.0, abs=1e-12)


def test_known_gaps_duplicates_and_drops():
    n = 4000
    t = np.arange(n) * P
    lost = np.zeros(n, dtype=bool)
    gap_widths = {500: 8, 1500: 20, 3000: 4}  # 4 lost samples = 5 periods > 3: a gap
    for start, w in gap_widths.items():
        lost[start : start + w] = True
    single = [2000, 2500]  # a single lost sample: a 2-period step, not a gap
    lost[single] = True
    dup_at = np.array([100, 700, 1200, 3500, 3900])  # delivered late with the next sample
    stamp = t.copy()
    stamp[dup_at] = stamp[dup_at + 1]
    stamp = stamp[~lost]
    r = feed(QualityMonitor(RATE), stamp)
    assert r.n_samples == n - lost.sum()
    assert r.gaps == len(gap_widths)
    assert r.duplicate_timestamps == dup_at.size
    assert r.dropped_estimate == sum(gap_widths.values()) + len(single)
    # samples per second of covered time, gaps excluded, duplicates counted as samples: the
    # two single losses lower it (two 2-period intervals), the gaps do not
    covered_periods = (n - 1) - sum(w + 1 for w in gap_widths.values())
    covered_intervals = r.n_samples - 1 - len(gap_widths)
    assert covered_intervals == covered_periods - len(single)
    assert r.effective_rate_hz == pytest.approx(covered_intervals / (covered_periods * P),
                                                rel=1e-9)


def test_agrees_with_the_rebuilt_clock_and_with_itself_across_block_splits():
    rng = np.random.default_rng(7)
    _, stamp = tablet_clock(30.0, rng, rate_hz=RATE, gaps=3, gap_s=0.08)
    clock = rebuild_clock(stamp, RATE)
    reports = [feed(QualityMonitor(RATE), stamp, rng=np.random.default_rng(s), max_block=m)
               for s, m in ((1, 2), (2, 40), (3, 500))]
    one = QualityMonitor(RATE)
    one.update(stamp)
    reports.append(one.snapshot())
    for r in reports:
        assert r.gaps == int(clock.gap_after.sum()) == 3
        assert r.effective_rate_hz == pytest.approx(clock.rate_hz, rel=1e-9)
        assert r.duplicate_timestamps == int(np.count_nonzero(np.diff(stamp) == 0)) > 0
        # 3 gaps of round(0.08 * 133) = 11 lost samples; ms rounding may shift one
        assert abs(r.dropped_estimate - 33) <= 1
        for field in ("n_samples", "gaps", "duplicate_timestamps", "dropped_estimate"):
            assert getattr(r, field) == getattr(reports[0], field)
        assert r.jitter_ms == pytest.approx(reports[0].jitter_ms, rel=1e-9)
    # ms stamps of a 133 Hz clock step 7 or 8 ms (more at duplicates): a jitter of ~0.5 ms
    assert 0.4 < reports[0].jitter_ms < 1.5


def test_jitter_and_delivery_jitter_are_standard_deviations():
    rng = np.random.default_rng(2)
    a = 0.4e-3
    steps = P + np.where(np.arange(2000) % 2 == 0, -a, a)
    t = np.concatenate(([0.0], np.cumsum(steps)))
    delay = rng.normal(3e-3, 0.7e-3, t.size)
    r = feed(QualityMonitor(RATE), t, host=1.7e9 + t + delay)  # host clock: Unix time
    assert r.jitter_ms == pytest.approx(np.std(steps, ddof=1) * 1e3, rel=1e-9)
    assert r.delivery_jitter_ms == pytest.approx(np.std(delay, ddof=1) * 1e3, rel=1e-5)


def test_pen_out_of_range_is_not_a_gap_and_pen_down_time():
    # 2 s touching, 1 s hovering, leave proximity, 3 s away, 1 s hovering, 2 s touching
    t1 = np.arange(int(3.0 * RATE) + 1) * P
    s1 = np.where(t1 < 2.0, 2, 1)
    s1[-1] = 0  # the leave-proximity sample
    t2 = t1[-1] + 3.0 + np.arange(int(3.0 * RATE) + 1) * P
    s2 = np.where(t2 - t2[0] < 1.0, 1, 2)
    t = np.concatenate((t1, t2))
    state = np.concatenate((s1, s2))
    r = feed(QualityMonitor(RATE), t, state=state)
    assert r.gaps == 0 and r.dropped_estimate == 0
    assert r.proximity_s == pytest.approx(t1[-1] + (t2[-1] - t2[0]), abs=1e-9)
    down = np.diff(t)[(state[:-1] == 2) & (state[1:] == 2)].sum()
    assert r.pen_down_s == pytest.approx(down, abs=1e-9)
    assert r.pen_down_s == pytest.approx(4.0, abs=3 * P)
    assert r.effective_rate_hz == pytest.approx(RATE, rel=1e-9)


def test_without_nominal_rate_gaps_use_the_measured_period():
    t = np.arange(3000) * (1 / 100.0)
    t[1500:] += 0.2  # one 0.21 s step: a gap of 20 periods
    r = feed(QualityMonitor(None), t)
    assert r.gaps == 1 and r.dropped_estimate is None and r.nominal_rate_hz is None
    assert r.effective_rate_hz == pytest.approx(100.0, rel=1e-9)
    assert "~" not in r.summary()  # no dropped estimate without a nominal rate
    assert QualityMonitor(float("nan")).nominal_rate_hz is None


def test_backward_timestamps_are_counted_and_excluded():
    t = np.arange(100) * P
    t[50] = t[40]  # one stamp from the past
    r = feed(QualityMonitor(RATE), t)
    assert r.backward_steps == 1
    assert r.n_samples == 100


def test_summary_and_errors():
    m = QualityMonitor(RATE)
    assert m.snapshot().n_samples == 0 and "rate n/a" in m.summary()
    m.update(np.arange(267) * P)
    line = m.summary()
    assert "\n" not in line and "267 samples" in line and "133.0 Hz" in line
    with pytest.raises(ValueError, match="state has 3 samples, t has 2"):
        m.update(np.zeros(2), state=np.zeros(3))
    with pytest.raises(ValueError, match="gap_periods"):
        QualityMonitor(RATE, gap_periods=0.5)
