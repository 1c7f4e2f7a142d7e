"""The tablet check's statistics and verdicts (Qt-free): each problem a tablet can have is
named in plain words, and a good tablet is "ready for recording"."""

from __future__ import annotations

import numpy as np
import pytest

from kinewrite.acquisition.tablet_check import check_tablet

PEN, MOUSE = 4, 1


def _stream(rate_hz=200.0, n=1000, levels=None, hover=True, stamp_ms=True, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate_hz
    if stamp_ms:
        t = np.round(t * 1000) / 1000
    state = np.full(n, 2)
    if hover:
        state[:100] = 1
        state[-100:] = 1
    p = rng.uniform(0.1, 0.9, n)
    if levels is not None:
        p = np.round(p * (levels - 1)) / (levels - 1)
    p = np.where(state == 2, p, 0.0)
    return t, state, p, np.full(n, PEN)


def test_good_tablet_is_ready():
    r = check_tablet(*_stream(), device_name="Wacom Intuos Pen stylus", time_base="event",
                     tilt_capable=True, nominal_rate_hz=200.0)
    assert r.ready and r.verdict == "Ready for recording."
    assert r.rate_hz == pytest.approx(200.0, rel=1e-3)
    assert r.timestamp_step_ms == pytest.approx(5.0)
    assert r.hover and r.tilt and r.pointer_type == "pen"
    assert r.dropped == 0 and r.duplicates == 0 and r.gaps == 0
    assert r.pressure_levels > 700 and 0.85 < r.pressure_max <= 0.9
    text = "\n".join(r.lines())
    assert "Device: Wacom Intuos Pen stylus" in text and "Verdict: Ready" in text


def test_no_input_mouse_and_no_touch_are_not_ready():
    empty = check_tablet(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    assert not empty.ready and "No pen input" in empty.verdict
    t, s, _p, _ = _stream()
    mouse = check_tablet(t, s, np.full(t.size, np.nan), np.full(t.size, MOUSE))
    assert not mouse.ready and "mouse, not a pen" in mouse.verdict
    air = check_tablet(t, np.ones(t.size), np.zeros(t.size), np.full(t.size, PEN))
    assert not air.ready and "never touched" in air.verdict


def test_pressure_problems():
    t, s, _p, ptr = _stream()
    flat = check_tablet(t, s, np.where(s == 2, 1.0, 0.0), ptr, time_base="event")
    assert not flat.ready and "no pressure" in flat.verdict
    coarse = check_tablet(*_stream(levels=16), time_base="event")
    assert coarse.ready and coarse.pressure_levels <= 16
    assert "Only" in coarse.verdict and "pressure levels" in coarse.verdict


def test_rate_problems_and_warnings():
    slow = check_tablet(*_stream(rate_hz=40.0), time_base="event")
    assert not slow.ready and "only 40 samples per second" in slow.verdict
    ipad = check_tablet(*_stream(rate_hz=80.0), time_base="event")
    assert ipad.ready and "80 samples per second" in ipad.verdict


def test_lost_duplicate_and_host_clock_warnings():
    t, s, p, ptr = _stream()
    keep = np.ones(t.size, bool)
    keep[300:340] = False  # 40 events (0.2 s) lost mid-stroke
    lost = check_tablet(t[keep], s[keep], p[keep], ptr[keep], time_base="event",
                        nominal_rate_hz=200.0)
    assert lost.gaps == 1 and lost.dropped == 40
    assert lost.ready and "paused 1 times" in lost.verdict and "About 40" in lost.verdict
    dup = t.copy()
    dup[1::4] = dup[0::4][: dup[1::4].size]  # every 4th pair shares a stamp
    d = check_tablet(dup, s, p, ptr, time_base="event")
    assert d.duplicates >= 200 and "timestamp of the one before" in d.verdict
    host = check_tablet(t, s, p, ptr, time_base="host")
    assert host.timestamp_source == "host" and "no timestamps" in host.verdict


def test_no_hover_and_backward_clock():
    r = check_tablet(*_stream(hover=False), time_base="event")
    assert not r.hover and "hover" in r.verdict and r.ready
    t, s, p, ptr = _stream()
    t[500:] -= 0.05
    back = check_tablet(t, s, p, ptr, time_base="event")
    assert not back.ready and "backwards" in back.verdict


def test_tilt_from_values_when_capability_unknown():
    t, s, p, ptr = _stream()
    tilt = np.linspace(-20, 20, t.size)
    assert check_tablet(t, s, p, ptr, tilt, tilt).tilt
    assert not check_tablet(t, s, p, ptr, np.zeros(t.size), np.zeros(t.size)).tilt
