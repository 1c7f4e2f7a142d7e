"""Fuzzing the import readers (CI-sized: a fixed number of examples, a hard time limit each).

Hypothesis-generated files and byte-level mutations of valid SVC, CSV and InkML files are fed
to the readers. The contract: a successful parse or the documented one-line
:class:`InputError`, never another exception, never a hang.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinewrite.errors import InputError
from kinewrite.formats import (
    ImportOptions,
    decode_recording,
    detect_format,
    read_recording_file,
)
from kinewrite.storage.reader import channels_to_recording

EXAMPLES = int(os.environ.get("KINEWRITE_FUZZ_EXAMPLES", "150"))  # more for a deep local run
SECONDS_PER_EXAMPLE = 10

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) if the body runs longer than `seconds`."""
    def expired(signum, frame):
        raise TimeoutError(f"reader ran longer than {seconds} s")

    if not hasattr(signal, "setitimer"):  # Windows: no interval timer; no hang guard
        yield
        return
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check(result) -> None:
    """What a successful read promises: channels that make a valid recording."""
    n = result.channels["t"].size
    assert n > 0
    assert all(v.size == n for v in result.channels.values())
    rec = channels_to_recording(result.channels, result.calibration)
    assert rec.pen_down.any()
    assert result.attrs["source_format"] == result.fmt


def decode(data: bytes, fmt: str, options: ImportOptions | None = None) -> None:
    with time_limit(SECONDS_PER_EXAMPLE):
        try:
            result = decode_recording(data, f"fuzz.{fmt}", fmt, options or ImportOptions())
        except InputError as exc:
            assert str(exc).startswith("fuzz.") and "\n" not in str(exc)
            return
    check(result)


# ------------------------------------------------------------------------------ seeds

SVC_SEED = ("6\n" + "\n".join(f"{5000 + 3 * i} {7000 + 40 * i} {1300000000 + 8 * i} "
                               f"{1 if i != 3 else 0} 900 600 {300 + i}" for i in range(6))
            + "\n").encode()
INKML_SEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
 <definitions><context xml:id="c"><inkSource><traceFormat>
  <channel name="X" type="decimal" units="mm"/><channel name="Y" type="decimal" units="mm"/>
  <channel name="T" type="integer" units="ms"/><channel name="F" type="integer" max="1023"/>
 </traceFormat></inkSource></context></definitions>
 <trace contextRef="#c">0 0 0 100, '1 '1 '10 '5, "0 "0 "0 "0, !5 !5 !40 !200</trace>
 <traceGroup contextRef="#c"><trace>10 10 100 300, 11 10 110 310</trace></traceGroup>
 <trace contextRef="#c" type="penUp">12 12 130 0, 13 13 140 0</trace>
</ink>
"""
CSV_SEED = (b"# task: loops\nt,x,y,pressure,pen_down\n0,0,0,0.1,1\n0.01,0.5,0.2,0.2,1\n"
            b"0.02,1.0,0.4,0.3,0\n0.03,1.5,0.6,0.2,1\n")


def test_seeds_are_valid(tmp_path):
    decode(SVC_SEED, "svc")
    decode(INKML_SEED, "inkml")
    check(decode_recording(SVC_SEED, "s.svc", "svc", ImportOptions()))
    check(decode_recording(INKML_SEED, "s.inkml", "inkml", ImportOptions()))
    path = tmp_path / "seed.csv"
    path.write_bytes(CSV_SEED)
    check(read_recording_file(path))


# ------------------------------------------------------------------ byte-level mutation

INTERESTING = [b"", b"0", b"-", b"+", b".", b",", b"'", b'"', b"!", b"*", b"?", b"#", b"T",
               b"F", b"nan", b"inf", b"1e308", b"99999999999999999999", b"\x00", b"\xff",
               b"\n", b" ", b"<", b">", b"&", b"&lol;", b"<!DOCTYPE x>", b"]]>", b"\r\n",
               b"<trace>", b"</trace>", b"contextRef=\"#c\"", b"units=\"cm\"", b"-1"]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "replace", "dup", "cut"]))
        pos = draw(st.integers(0, len(data))) if data else 0
        if op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(INTERESTING) | st.binary(max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "replace":
            data[pos:pos + 1] = draw(st.sampled_from(INTERESTING))
        elif op == "dup" and data:
            a = draw(st.integers(0, len(data) - 1))
            chunk = data[a:a + draw(st.integers(1, 64))]
            data[pos:pos] = chunk * draw(st.integers(1, 4))
        elif op == "cut":
            del data[pos:]
    return bytes(data)


@FUZZ
@given(data=mutated(SVC_SEED), x_first=st.booleans())
def test_mutated_svc(data, x_first):
    decode(data, "svc", ImportOptions(x_first=x_first))


@FUZZ
@given(data=mutated(INKML_SEED))
def test_mutated_inkml(data):
    decode(data, "inkml")


TRACE_SEED = b"0 0 0 100, '1 '1 '10 '5, \"0 \"0 \"0 \"0, !5 !5 !40 !200"


@st.composite
def mutated_trace_doc(draw) -> bytes:
    """The InkML seed with its first trace's text mutated (the XML stays well-formed)."""
    text = draw(mutated(TRACE_SEED)).decode("latin-1")
    text = "".join(c for c in text if c.isprintable() and c not in "<&>")
    return INKML_SEED.replace(TRACE_SEED, text.encode())


@FUZZ
@given(data=mutated_trace_doc())
def test_mutated_inkml_trace_text(data):
    decode(data, "inkml")


@FUZZ
@given(data=mutated(CSV_SEED) | mutated(SVC_SEED) | mutated(INKML_SEED) | st.binary())
def test_format_sniffing(data):
    with time_limit(SECONDS_PER_EXAMPLE):
        try:
            assert detect_format("fuzz.unknown", data) in ("svc", "csv", "inkml")
        except InputError as exc:
            assert "\n" not in str(exc)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_csv")


@FUZZ
@given(data=mutated(CSV_SEED))
def test_mutated_csv(fuzz_dir, data):
    path = fuzz_dir / "fuzz.csv"
    path.write_bytes(data)
    with time_limit(SECONDS_PER_EXAMPLE):
        try:
            result = read_recording_file(path)
        except InputError as exc:
            assert "fuzz.csv" in str(exc) and "\n" not in str(exc)
            return
    check(result)


# ------------------------------------------------------------ generated from the grammar

svc_token = st.one_of(st.integers(-2**62, 2**62).map(str),
                      st.integers(-3, 3000).map(str),
                      st.sampled_from(["nan", "1.5", "-", "", "abc", "1e3", "0x10", "+7"]))


@FUZZ
@given(rows=st.lists(st.lists(svc_token, min_size=5, max_size=8), max_size=30),
       count=st.one_of(st.none(), st.integers(0, 40), st.sampled_from(["x", "-1", ""])),
       levels=st.one_of(st.none(), st.integers(2, 4096)),
       units=st.one_of(st.none(), st.floats(1e-3, 1e6)))
def test_generated_svc(rows, count, levels, units):
    head = str(len(rows)) if count is None else str(count)
    text = head + "\n" + "\n".join(" ".join(r) for r in rows) + "\n"
    decode(text.encode(), "svc", ImportOptions(pressure_levels=levels, device_units_per_mm=units))


ink_value = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.sampled_from(["T", "F", "*", "?", "#1F", "1e400", "-.5", ".", "1.2.3", "--1", "+"]),
)
ink_point = st.lists(st.tuples(st.sampled_from(["", "", "", "!", "'", '"']), ink_value),
                     min_size=1, max_size=5)
channel = st.tuples(st.sampled_from(["X", "Y", "T", "F", "S", "OTx", "W", "Q"]),
                    st.sampled_from(["", "mm", "cm", "in", "dev", "ms", "s", "furlong"]),
                    st.sampled_from(["", "1023", "0", "-5", "abc"]),
                    st.sampled_from(["decimal", "integer", "boolean"]))


def _trace_text(points: list[list[tuple[str, str]]], seps: list[str]) -> str:
    return ", ".join(seps[i % len(seps)].join(q + v for q, v in p)
                     for i, p in enumerate(points))


@FUZZ
@given(channels=st.lists(channel, min_size=1, max_size=5, unique_by=lambda c: c[0]),
       traces=st.lists(st.tuples(st.lists(ink_point, min_size=0, max_size=12),
                                 st.sampled_from(["penDown", "penUp", "indeterminate", "x"])),
                       min_size=1, max_size=5),
       seps=st.lists(st.sampled_from([" ", "  ", "\n", "\t", ""]), min_size=1, max_size=3),
       levels=st.one_of(st.none(), st.integers(2, 4096)),
       dev=st.one_of(st.none(), st.floats(1e-3, 1e4)),
       time_unit=st.sampled_from([None, "ms", "s"]),
       top_level=st.booleans())
def test_generated_inkml(channels, traces, seps, levels, dev, time_unit, top_level):
    chans = "".join(
        f'<channel name="{n}" type="{ty}"' + (f' units="{u}"' if u else "")
        + (f' max="{m}"' if m else "") + "/>" for n, u, m, ty in channels)
    fmt = f"<traceFormat>{chans}</traceFormat>"
    head = fmt if top_level else f'<definitions><context xml:id="c">{fmt}</context></definitions>'
    ref = "" if top_level else ' contextRef="#c"'
    body = "".join(f'<trace{ref} type="{kind}">{_trace_text(points, seps)}</trace>'
                   for points, kind in traces)
    doc = f'<ink xmlns="http://www.w3.org/2003/InkML">{head}{body}</ink>'
    decode(doc.encode(), "inkml", ImportOptions(pressure_levels=levels, device_units_per_mm=dev,
                                                time_unit=time_unit))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs an interval timer")
def test_time_limit_catches_a_hang():
    with pytest.raises(TimeoutError), time_limit(0.2):
        while True:
            np.sqrt(2.0)
