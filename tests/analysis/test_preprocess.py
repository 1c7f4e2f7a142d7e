"""Pre-processing steps of docs/science.md §2, each against a known answer."""

import numpy as np
import pytest
from scipy import signal

from kinewrite.analysis import preprocess as pp
from kinewrite.analysis.preprocess import clock as pp_clock
from kinewrite.simulate import tablet_clock


def test_rebuilds_a_quantized_jittered_duplicated_clock(rng):
    t_true, stamp = tablet_clock(20.0, rng, rate_hz=133.0, quantize_ms=1.0, jitter_ms=0.3,
                                 duplicate_fraction=0.02)
    assert np.count_nonzero(np.diff(stamp) == 0) > 20  # the input really has duplicates
    raw_steps = np.unique(np.round(np.diff(stamp) * 1e3))
    assert {7.0, 8.0} <= set(raw_steps)  # and 7/8 ms alternation
    clock = pp.rebuild_clock(stamp)
    assert clock.regular
    assert clock.rate_hz == pytest.approx(133.0, abs=0.3)
    # the rebuilt clock is the true one up to a constant offset (the mean delivery delay)
    err = (clock.t - t_true) - np.mean(clock.t - t_true)
    assert np.sqrt(np.mean(err**2)) < 0.1e-3
    assert np.all(np.diff(clock.t) > 0)
    assert not clock.gap_after.any()


def test_gaps_are_found_and_rate_excludes_them(rng):
    _t_true, stamp = tablet_clock(20.0, rng, rate_hz=200.0, gaps=3, gap_s=0.1)
    clock = pp.rebuild_clock(stamp)
    assert np.count_nonzero(clock.gap_after) == 3
    assert clock.rate_hz == pytest.approx(200.0, rel=0.01)


def test_irregular_device_keeps_its_own_stamps(rng):
    # an iPad-like device: 7-18 ms steps, no fixed rate
    stamp = np.cumsum(rng.uniform(0.007, 0.018, 500))
    clock = pp.rebuild_clock(stamp)
    assert not clock.regular
    np.testing.assert_allclose(clock.t, stamp)


def test_duplicates_are_spread_back_in_time():
    stamp = np.array([0.0, 0.010, 0.010, 0.030])
    out = pp_clock._spread_duplicates(stamp, period=0.010)
    np.testing.assert_allclose(out, [0.0, 0.005, 0.010, 0.030])


def test_runs_and_segments_split_at_lifts_and_gaps():
    pen = np.array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], dtype=bool)
    gap = np.zeros(9, dtype=bool)
    gap[6] = True  # between samples 6 and 7
    seg = pp.split_segments(pen, gap)
    assert seg.starts.tolist() == [0, 5, 7]
    assert seg.lengths.tolist() == [3, 2, 3]
    r = pp.runs(pen)
    assert r.starts.tolist() == [0, 5]
    assert r.lengths.tolist() == [3, 5]


def test_resampling_is_exact_on_linear_motion_and_never_crosses_a_gap():
    t = np.r_[np.arange(0, 1, 0.0075), 5 + np.arange(0, 1, 0.0075)]
    x = np.where(t < 5, 3.0 * t, 100 + 3.0 * t)
    seg = pp.Segments(np.array([0, t.size // 2]), np.array([t.size // 2, t.size // 2]))
    tg, cols, gseg = pp.resample_segments(t, x[None, :], seg, 200.0)
    np.testing.assert_allclose(np.diff(tg[: gseg.lengths[0]]), 0.005)
    expected = np.where(tg < 5, 3.0 * tg, 100 + 3.0 * tg)
    np.testing.assert_allclose(cols[0], expected, atol=1e-9)
    assert tg[gseg.starts[1]] == pytest.approx(5.0)


@pytest.mark.parametrize(("cutoff", "btype"), [(12.0, "lowpass"), (2.0, "highpass")])
def test_segmented_filter_matches_filtering_each_segment_alone(rng, cutoff, btype):
    lengths = np.array([900, 40, 2, 1500, 700])
    starts = np.r_[0, np.cumsum(lengths)[:-1]] + 5 * np.arange(lengths.size)
    x = np.cumsum(rng.normal(size=int(starts[-1] + lengths[-1] + 5)))
    seg = pp.Segments(starts, lengths)
    sos = pp.butter_sos(cutoff, 200.0, 4, btype)
    pad = pp.settle_samples(cutoff, 200.0)
    y = pp.filtfilt_segments(x, seg, sos, pad)
    for s0, n in zip(starts, lengths, strict=True):
        if n > pad + 10:
            ref = signal.sosfiltfilt(sos, x[s0 : s0 + n], padtype="odd", padlen=pad)
            assert np.max(np.abs(ref - y[s0 : s0 + n])) < 1e-4 * np.ptp(x)
    outside = np.ones(x.size, dtype=bool)
    for s0, n in zip(starts, lengths, strict=True):
        outside[s0 : s0 + n] = False
    np.testing.assert_array_equal(y[outside], x[outside])


def _padded_filtfilt_reference(x, starts, lengths, sos, pad):
    """The segmented zero-phase filter written out plainly: each segment padded by odd
    reflection (reflecting less in a short segment), the padded segments concatenated and
    filtered forward then backward by scipy.signal.sosfilt from steady state."""
    blocks = []
    for s0, n in zip(starts, lengths, strict=True):
        seg = x[s0 : s0 + n]
        reach = np.minimum(np.arange(1, pad + 1), n - 1)
        left = 2 * seg[0] - seg[reach[::-1]]
        right = 2 * seg[-1] - seg[n - 1 - reach]
        blocks.append(np.concatenate((left, seg, right)))
    ext = np.concatenate(blocks)
    zi = signal.sosfilt_zi(sos)
    fwd, _ = signal.sosfilt(sos, ext, zi=zi * ext[0])
    back, _ = signal.sosfilt(sos, fwd[::-1], zi=zi * fwd[-1])
    back = back[::-1]
    out = x.copy()
    at = 0
    for s0, n in zip(starts, lengths, strict=True):
        out[s0 : s0 + n] = back[at + pad : at + pad + n]
        at += n + 2 * pad
    return out


def test_segmented_filter_is_the_public_sosfilt_on_the_padded_layout(rng):
    """filtfilt_segments is scipy.signal.sosfilt forward and backward over the padded
    segments (no private SciPy kernel): the same numbers as the plain reference, for tiled
    2-D input (the kinematic grid) and for segments with gaps between them."""
    lengths = np.array([300, 3, 1, 800])
    sos = pp.butter_sos(12.0, 200.0)
    for gap in (0, 7):
        starts = np.r_[0, np.cumsum(lengths)[:-1]] + gap * np.arange(lengths.size)
        xy = np.cumsum(rng.normal(size=(2, int(starts[-1] + lengths[-1]))), axis=1)
        seg = pp.Segments(starts, lengths)
        fast = pp.filtfilt_segments(xy, seg, sos, 70)
        for row in range(2):
            ref = _padded_filtfilt_reference(xy[row], starts, lengths, sos, 70)
            np.testing.assert_array_equal(fast[row], ref)
        np.testing.assert_array_equal(fast[0], pp.filtfilt_segments(xy[0], seg, sos, 70))


def test_baseline_angle_recovers_slant_and_never_turns_sideways():
    s = np.linspace(0, 100, 400)
    x, y = s, 3 * np.sin(s)
    ang = np.radians(12.0)
    xr, yr = np.cos(ang) * x - np.sin(ang) * y, np.sin(ang) * x + np.cos(ang) * y
    assert np.degrees(pp.baseline_angle(xr, yr)) == pytest.approx(12.0, abs=0.5)
    # a tall narrow sample stays upright (folded into [-45, 45] degrees)
    assert abs(np.degrees(pp.baseline_angle(y, x))) < 1.0
