"""Tasks as data: the protocol file format, its validation, and the guide geometry in mm."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

from kinewrite.acquisition.tasks import (
    END_CONDITIONS,
    Guide,
    Protocol,
    ProtocolError,
    TaskSpec,
    available_protocols,
    config_dir,
    default_protocol,
    dump_protocol,
    guide_polylines_mm,
    load_protocol,
    parse_protocol,
)
from kinewrite.model import TASKS

MINIMAL = """
[protocol]
name = "Mini"
version = "2"

[[tasks]]
key = "s1"
task = "spiral"
title = "Spiral"
duration_s = 30

[tasks.guide]
kind = "spiral"
turns = 3
outer_radius_mm = 30
"""


def _write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- the default


def test_default_protocol_has_the_standard_tasks() -> None:
    p = default_protocol()
    assert p.name == "Writer's cramp standard"
    by_key = {t.key: t for t in p.tasks}
    assert [t.task for t in p.tasks] == ["sentence", "loops", "circles", "spiral", "spiral",
                                         "lines"]
    # docs/science.md §9: a 20 s sentence window, circles for 30 s, spiral with and without guide
    assert by_key["sentence"].duration_s == 20.0 and by_key["sentence"].end == "duration"
    assert by_key["sentence"].guide.text == "The quick brown fox jumps over the lazy dog"
    assert by_key["sentence"].guide.text in by_key["sentence"].instructions
    assert by_key["circles"].duration_s == 30.0
    assert by_key["spiral_guided"].show_guide and not by_key["spiral_free"].show_guide
    assert "llll" in by_key["loops"].instructions
    for spec in p.tasks:
        assert spec.task in TASKS and spec.end in END_CONDITIONS
        assert len(spec.instructions) > 80, spec.key  # plain text the therapist can read out
        assert spec.min_duration_s > 0 and spec.min_pen_down_s > 0
    assert p.path is not None and p.path.name == "writers_cramp.toml"


def test_default_guides_fit_a_small_tablet() -> None:
    """A Wacom Intuos S active area (152 x 95 mm) holds every default guide."""
    for spec in default_protocol().tasks:
        for line in guide_polylines_mm(spec, (152.0, 95.0)):
            assert line.ndim == 2 and line.shape[1] == 2
            assert np.all(line >= 0) and np.all(line <= [152.0, 95.0])


def test_dump_round_trips(tmp_path: Path) -> None:
    p = default_protocol()
    text = dump_protocol(p)
    assert parse_protocol(tomllib.loads(text)) == p
    again = load_protocol(_write(tmp_path, text))
    assert again == p and again.path == tmp_path / "p.toml"


def test_dump_escapes_awkward_text(tmp_path: Path) -> None:
    nasty = 'quote " backslash \\ literal \\n tab\t"""triple""" end"'
    spec = TaskSpec("k", "free", "T", instructions=nasty + "\nsecond line\r\n",
                    guide=Guide.make("sentence", text=nasty))
    p = Protocol("N \"x\"", "1.0", "multi\nline \\ description", (spec,))
    back = load_protocol(_write(tmp_path, dump_protocol(p)))
    assert back == p
    assert back.tasks[0].instructions == nasty + "\nsecond line\r\n"


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    p = load_protocol(_write(tmp_path, MINIMAL))
    (spec,) = p.tasks
    assert p.version == "2" and p.label == "Mini (2)"
    assert spec.end == "duration"  # a duration without an end condition ends on time
    assert spec.show_guide and spec.repetitions == 1 and spec.instructions == ""
    assert spec.guide["inner_radius_mm"] == 0.0 and spec.guide["center_mm"] is None
    assert p.task("s1") is spec
    with pytest.raises(KeyError):
        p.task("nope")


# ---------------------------------------------------------------------------- validation

BAD = [
    # (edit of MINIMAL, expected fragment of the message)
    (("title = \"Spiral\"", "title = \"Spiral\"\ncolour = 3"), "task 1 's1': unknown key 'colour'"),
    (("task = \"spiral\"", "task = \"spirals\""), "task 1 's1': task: unknown task 'spirals'"),
    (("duration_s = 30", "duration_s = -5"), "task 1 's1': duration_s: must be a positive"),
    (("duration_s = 30", "duration_s = 0"), "duration_s: must be a positive"),
    (("duration_s = 30", "duration_s = \"long\""), "duration_s: must be a number of seconds"),
    (("duration_s = 30", "duration_s = nan"), "duration_s: must be a number of seconds"),
    (("duration_s = 30", "end = \"duration\""), "duration_s: required when end = \"duration\""),
    (("duration_s = 30", "duration_s = 30\nend = \"whenever\""), "end: unknown end condition"),
    (("duration_s = 30", "duration_s = 30\nmin_duration_s = 40"),
     "min_duration_s: 40 s is longer than the trial's duration_s of 30 s"),
    (("duration_s = 30", "duration_s = 30\nrepetitions = 0"), "repetitions: must be a whole"),
    (("duration_s = 30", "duration_s = 30\nrepetitions = 1.5"), "repetitions: must be a whole"),
    (("duration_s = 30", "duration_s = 30\nshow_guide = \"yes\""), "show_guide: must be true"),
    (("key = \"s1\"", "key = \"s 1\""), "key: must be letters, digits"),
    (("title = \"Spiral\"\n", ""), "task 1 's1': title: missing"),
    (("turns = 3", "turns = -3"), "task 1 's1': guide.turns: must be positive, got -3"),
    (("turns = 3", "turn = 3"), "guide.turn: not a parameter of a spiral guide"),
    (("kind = \"spiral\"", "kind = \"star\""), "guide.kind: unknown guide 'star'"),
    (("outer_radius_mm = 30", "outer_radius_mm = 30\ninner_radius_mm = 30"),
     "guide.inner_radius_mm: must be smaller than outer_radius_mm (30)"),
    (("outer_radius_mm = 30", "outer_radius_mm = 30\ncenter_mm = [1]"),
     "guide.center_mm: must be [x_mm, y_mm]"),
    (("version = \"2\"", "version = \"2\"\nauthor = \"x\""), "[protocol]: unknown key 'author'"),
    (("name = \"Mini\"", "name = \"\""), "[protocol]: name: must not be empty"),
]


@pytest.mark.parametrize(("edit", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_field_is_named(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    old, new = edit
    assert old in MINIMAL
    path = _write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert message in text


def test_duplicate_key(tmp_path: Path) -> None:
    second = MINIMAL.split("[[tasks]]")[1]
    path = _write(tmp_path, MINIMAL + "\n[[tasks]]" + second)
    with pytest.raises(ProtocolError, match=r"task 2 's1': key: duplicate of task 1"):
        load_protocol(path)


@pytest.mark.parametrize(("text", "message"), [
    ("[protocol\nname=1", "not a valid TOML file"),
    ("[protocol]\nname = \"x\"\n", "no task: add at least one [[tasks]] table"),
    ("[[tasks]]\nkey = \"a\"\n", "missing [protocol] table"),
    ("tasks = 3\n[protocol]\nname = \"x\"\n", "no task"),
    ("[protocol]\nname = \"x\"\n[[tasks]]\nkey = \"a\"\n", "task 1 'a': task: missing"),
])
def test_bad_file_structure(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="cannot read"):
        load_protocol(tmp_path / "missing.toml")
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProtocolError, match="not a text file"):
        load_protocol(binary)


def test_specs_built_in_code_are_validated() -> None:
    with pytest.raises(ProtocolError, match="task 'a': task: unknown task"):
        TaskSpec("a", "doodle", "A")
    with pytest.raises(ProtocolError, match="pen_up_s"):
        TaskSpec("a", "lines", "A", end="pen_up", pen_up_s=0.0)
    with pytest.raises(ProtocolError, match=r"guide\.count: must be a whole number"):
        Guide.make("lines", count=0)
    with pytest.raises(ProtocolError, match="duplicate task key 'a'"):
        Protocol("P", tasks=(TaskSpec("a", "lines", "A"), TaskSpec("a", "loops", "B")))
    with pytest.raises(ProtocolError, match="has no task"):
        Protocol("P")


# ---------------------------------------------------------------------------- user folders


def test_available_protocols_reads_user_dir_and_reports_bad_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "cfg"
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(cfg))
    assert config_dir() == cfg
    (cfg / "protocols").mkdir(parents=True)
    _write(cfg / "protocols", MINIMAL, "mini.toml")
    _write(cfg / "protocols", MINIMAL.replace("turns = 3", "turns = 0"), "broken.toml")
    extra = tmp_path / "extra"
    extra.mkdir()
    _write(extra, MINIMAL.replace("Mini", "Extra"), "extra.toml")
    errors: list[str] = []
    found = available_protocols([extra], errors=errors)
    assert [p.name for p in found] == ["Writer's cramp standard", "Mini", "Extra"]
    assert len(errors) == 1 and "broken.toml: task 1 's1': guide.turns" in errors[0]
    with pytest.warns(UserWarning, match="broken.toml"):
        available_protocols()


def test_config_dir_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KINEWRITE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_dir() == tmp_path / ".config" / "kinewrite"


# ---------------------------------------------------------------------------- geometry


def test_spiral_geometry_is_archimedean() -> None:
    g = Guide.make("spiral", turns=4, outer_radius_mm=30, inner_radius_mm=2,
                   center_mm=[60, 50])
    (line,) = guide_polylines_mm(g, (120.0, 100.0))
    dx, dy_up = line[:, 0] - 60.0, -(line[:, 1] - 50.0)  # back to y up
    r = np.hypot(dx, dy_up)
    theta = np.unwrap(np.arctan2(dy_up, dx))
    assert r[0] == pytest.approx(2.0) and r[-1] == pytest.approx(30.0)
    assert theta[-1] - theta[0] == pytest.approx(4 * 2 * np.pi)  # counter-clockwise, 4 turns
    b, a = np.polyfit(theta, r, 1)
    assert b == pytest.approx(28.0 / (8 * np.pi)) and a == pytest.approx(2.0)
    assert np.max(np.abs(r - (a + b * theta))) < 1e-9


def test_circle_loops_sentence_lines_geometry() -> None:
    area = (200.0, 100.0)
    (ring,) = guide_polylines_mm(Guide.make("circle", radius_mm=15), area)
    assert np.allclose(np.hypot(ring[:, 0] - 100, ring[:, 1] - 50), 15.0)
    assert np.array_equal(ring[0], ring[-1])
    base, top = guide_polylines_mm(Guide.make("loops", height_mm=12, margin_mm=20), area)
    assert np.allclose(base, [[20, 60], [180, 60]]) and np.allclose(top, [[20, 48], [180, 48]])
    base, top = guide_polylines_mm(Guide.make("sentence", text="x", baseline_mm=70), area)
    assert np.allclose(base[:, 1], 70) and np.allclose(top[:, 1], 60)
    lines = guide_polylines_mm(Guide.make("lines", length_mm=40, count=3, spacing_mm=10), area)
    assert len(lines) == 3
    # vertical (90 deg), side by side 10 mm apart, centred on the area
    assert np.allclose([ln[:, 0] for ln in lines], [[90, 90], [100, 100], [110, 110]])
    assert np.allclose([sorted(ln[:, 1]) for ln in lines], [[30, 70]] * 3)
    (flat,) = guide_polylines_mm(Guide.make("lines", length_mm=50, orientation_deg=0, count=1),
                                 area)
    assert np.allclose(sorted(flat[:, 0]), [75, 125]) and np.allclose(flat[:, 1], 50)
    (diag,) = guide_polylines_mm(Guide.make("lines", length_mm=20, orientation_deg=45,
                                            count=1), area)
    d = diag[1] - diag[0]
    assert np.hypot(*d) == pytest.approx(20) and d[0] > 0 and d[1] < 0  # up-right on screen
    assert guide_polylines_mm(Guide(), area) == []


def test_guide_outside_area_is_refused() -> None:
    spec = TaskSpec("sp", "spiral", "S", guide=Guide.make("spiral", outer_radius_mm=60))
    with pytest.raises(ValueError, match=r"task 'sp': the spiral guide spans .* outside the "
                                         r"100 x 100 mm writing area"):
        guide_polylines_mm(spec, (100.0, 100.0))
    with pytest.raises(ValueError, match="writing area must be positive"):
        guide_polylines_mm(spec, (0.0, 100.0))
    with pytest.raises(ValueError, match="leave no room"):
        guide_polylines_mm(Guide.make("loops", margin_mm=60), (100.0, 100.0))


# ---------------------------------------------------------------------------- packaging


def test_protocol_files_are_package_data() -> None:
    """Every shipped protocol matches the package-data globs of pyproject.toml (checked by
    hand too: ``pip wheel .`` holds kinewrite/acquisition/protocols/writers_cramp.toml, and
    ``default_protocol()`` loads it from an installed wheel)."""
    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["kinewrite"]
    package = root / "src" / "kinewrite"
    shipped = sorted((package / "acquisition" / "protocols").glob("*.toml"))
    assert shipped
    for path in shipped:
        rel = path.relative_to(package).as_posix()
        assert any(PurePosixPath(rel).match(g) for g in globs), rel


def test_without_minimums_keeps_everything_but_the_minimums():
    from kinewrite.acquisition.tasks import default_protocol

    base = default_protocol()
    free = base.without_minimums()
    assert [t.key for t in free.tasks] == [t.key for t in base.tasks]
    assert all(t.min_duration_s == 0.0 and t.min_pen_down_s == 0.0 for t in free.tasks)
    assert any(t.min_duration_s > 0 for t in base.tasks)  # the original is untouched
    assert [t.duration_s for t in free.tasks] == [t.duration_s for t in base.tasks]
