"""Every output a command cannot write is one line naming the path, exit code 2, and leaves
no temporary file: read-only folders, a folder given as the file (and a file given as the
folder), a part of the path that is a file, a full disk (a small tmpfs), a file-size limit
(RLIMIT_FSIZE), for ``simulate -o``, ``report -o``, ``demo -o``, ``gui --screenshot``,
``record --study`` and ``simulate --realtime --study``. Real subprocesses, real files."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "data" / "samples" / "study"
SAMPLES = ROOT / "data" / "samples"
CLI = [sys.executable, "-m", "kinewrite.cli"]


def run(*args: str, tmp: Path, preexec=None, cwd: Path | None = None):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "KINEWRITE_CONFIG_DIR": str(tmp / "config")}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=180,
                          preexec_fn=preexec, cwd=cwd)


def assert_one_line(r, path: Path, why: str) -> None:
    """Exit 2, one line on stderr that names `path` and says `why`, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0] and why in lines[0], lines[0]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def full_disk(tmpfs):
    """A small tmpfs filled to the last byte (needs the right to mount: root in CI)."""
    return tmpfs("256k", full=True, name="full")


@pytest.fixture
def readonly_dir(tmp_path, tmpfs):
    """A folder nobody may write into: mode 0555, or (as root, who ignores modes) a
    read-only tmpfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    mounted = False
    try:
        (folder / "probe").touch()
    except PermissionError:
        pass
    else:  # root: the mode does not stop it
        (folder / "probe").unlink()
        folder.chmod(0o755)
        tmpfs("64k", readonly=True, name="ro")
        mounted = True
    yield folder
    if not mounted:
        folder.chmod(0o755)


def _fsize_limit(limit: int):
    def preexec() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A copy of the bundled study (reading a study may update its index)."""
    copy = tmp_path_factory.mktemp("study") / "study"
    shutil.copytree(STUDY, copy)
    return copy


def file_output_command(kind: str, out: Path, study: Path) -> list[str]:
    return {
        "simulate": ["simulate", "--seed", "1", "-o", str(out)],
        "report": ["report", "--study", str(study), "--patient", "SIM-001", "-o", str(out)],
        "screenshot": ["gui", "--study", str(study), "--patient", "SIM-001", "--view", "review",
                       "--screenshot", str(out), "--size", "400x300"],
    }[kind]


FILE_OUTPUTS = ("simulate", "report", "screenshot")


@pytest.mark.parametrize("kind", FILE_OUTPUTS)
def test_a_folder_given_as_the_output_file(tmp_path, study, kind):
    out = tmp_path / "a-folder"
    out.mkdir()
    r = run(*file_output_command(kind, out, study), tmp=tmp_path)
    assert_one_line(r, out, "is a folder")
    assert listing(out) == []


@pytest.mark.parametrize("kind", FILE_OUTPUTS)
def test_a_file_where_a_folder_of_the_output_path_is_expected(tmp_path, study, kind):
    (tmp_path / "plain").write_text("not a folder")
    out = tmp_path / "plain" / "out.file"
    r = run(*file_output_command(kind, out, study), tmp=tmp_path)
    assert_one_line(r, out, "a part of the path is a file")
    assert (tmp_path / "plain").read_text() == "not a folder"


@pytest.mark.parametrize("kind", FILE_OUTPUTS)
def test_a_missing_output_folder(tmp_path, study, kind):
    out = tmp_path / "no" / "such" / "out.file"
    r = run(*file_output_command(kind, out, study), tmp=tmp_path)
    assert_one_line(r, out, "does not exist")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("kind", FILE_OUTPUTS)
def test_a_read_only_output_folder(tmp_path, study, readonly_dir, kind):
    out = readonly_dir / "out.file"
    r = run(*file_output_command(kind, out, study), tmp=tmp_path)
    assert_one_line(r, out, "permission denied")
    assert listing(readonly_dir) == []


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.qt) if k != "simulate" else k
                                  for k in FILE_OUTPUTS])  # writing a report draws with Qt
def test_a_full_disk_leaves_no_temporary_file(tmp_path, study, full_disk, kind):
    out = full_disk / "out.file"
    r = run(*file_output_command(kind, out, study), tmp=tmp_path)
    assert_one_line(r, out, "the disk is full")
    assert listing(full_disk) == ["filler"]


def test_a_device_is_never_replaced(tmp_path, study):
    """``-o /dev/null`` as root would otherwise rename a regular file over the device."""
    r = run("simulate", "-o", os.devnull, tmp=tmp_path)
    assert_one_line(r, Path(os.devnull), "not a regular file")
    assert Path(os.devnull).is_char_device()


@pytest.mark.skipif(not hasattr(os, "posix_spawn"), reason="POSIX file-size limits")
def test_a_file_size_limit_is_an_error_not_a_kill(tmp_path):
    """RLIMIT_FSIZE: without SIGXFSZ ignored the process is killed mid-write and its
    temporary file stays; now the write fails (EFBIG), the file is removed, one line."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "loops.csv"
    r = run("simulate", "--seed", "1", "-o", str(out), tmp=tmp_path, preexec=_fsize_limit(8192))
    assert_one_line(r, out, "File too large")
    assert listing(out_dir) == []
    demo = tmp_path / "demo"
    r = run("demo", "--samples", str(SAMPLES), "-o", str(demo), tmp=tmp_path,
            preexec=_fsize_limit(1024))
    assert_one_line(r, demo / "features.csv", "File too large")
    assert listing(demo) == []


# ---------------------------------------------------------------------- folder outputs


def test_demo_output_that_is_a_file(tmp_path):
    out = tmp_path / "demo-output"
    out.write_text("mine")
    r = run("demo", "--samples", str(SAMPLES), "-o", str(out), tmp=tmp_path)
    assert_one_line(r, out, "is a file, not a folder")
    assert out.read_text() == "mine"


def test_demo_output_in_a_read_only_folder(tmp_path, readonly_dir):
    out = readonly_dir / "demo-output"
    r = run("demo", "--samples", str(SAMPLES), "-o", str(out), tmp=tmp_path)
    assert_one_line(r, out, "permission denied")
    assert listing(readonly_dir) == []


def test_demo_on_a_full_disk(tmp_path, full_disk):
    out = full_disk / "demo-output"
    r = run("demo", "--samples", str(SAMPLES), "-o", str(out), tmp=tmp_path)
    assert_one_line(r, out / "features.csv", "the disk is full")
    assert listing(out) == []


def test_demo_output_below_a_file(tmp_path):
    (tmp_path / "plain").write_text("mine")
    out = tmp_path / "plain" / "demo-output"
    r = run("demo", "--samples", str(SAMPLES), "-o", str(out), tmp=tmp_path)
    assert_one_line(r, out, "a part of the path is a file, not a folder")
    assert (tmp_path / "plain").read_text() == "mine"


@pytest.mark.parametrize("patient", ["../x", "NOBODY-9"])
def test_demo_refuses_a_patient_before_anything_is_written(tmp_path, patient):
    r = run("demo", "--patient", patient, tmp=tmp_path, cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert patient in r.stderr
    assert not (tmp_path / "demo-output").exists()


def test_record_study_that_is_a_file(tmp_path):
    study = tmp_path / "study.h5"
    study.write_bytes(b"not a folder")
    r = run("record", "--study", str(study), "--patient", "P1", "--task", "loops",
            "--seconds", "1", tmp=tmp_path)
    assert_one_line(r, study, "is a file")
    assert study.read_bytes() == b"not a folder"


def test_record_study_in_a_read_only_folder(tmp_path, readonly_dir):
    for study in (readonly_dir, readonly_dir / "new-study"):
        r = run("record", "--study", str(study), "--patient", "P1", "--task", "loops",
                "--seconds", "1", tmp=tmp_path)
        assert_one_line(r, study, "permission denied")
        assert listing(readonly_dir) == []


def test_record_study_below_a_file(tmp_path):
    (tmp_path / "plain").write_text("mine")
    study = tmp_path / "plain" / "study"
    r = run("record", "--study", str(study), "--patient", "P1", "--task", "loops",
            "--seconds", "1", tmp=tmp_path)
    assert_one_line(r, study, "a part of the path is a file, not a folder")
    assert (tmp_path / "plain").read_text() == "mine"


RECORDINGS = {
    "record": ["record", "--patient", "P1", "--task", "loops", "--seconds", "1"],
    "realtime": ["simulate", "--realtime", "--patient", "P1", "--seconds", "1"],
}


@pytest.mark.parametrize("kind", RECORDINGS)
def test_a_recording_on_a_full_disk_creates_nothing(tmp_path, full_disk, kind):
    """Before: exit 1, HDF5's multi-part ENOSPC text, and an empty patient folder."""
    for study in (full_disk, full_disk / "new-study"):
        r = run(*RECORDINGS[kind], "--study", str(study), tmp=tmp_path)
        assert_one_line(r, study, "the disk is full")
        assert "MiB free" in r.stderr
        assert listing(full_disk) == ["filler"]


@pytest.mark.parametrize("kind", RECORDINGS)
def test_a_recording_into_a_read_only_folder(tmp_path, readonly_dir, kind):
    for study in (readonly_dir, readonly_dir / "new-study"):
        r = run(*RECORDINGS[kind], "--study", str(study), tmp=tmp_path)
        assert_one_line(r, study, "permission denied")
        assert listing(readonly_dir) == []


def test_realtime_simulation_into_a_file(tmp_path):
    study = tmp_path / "study"
    study.write_text("x")
    r = run("simulate", "--realtime", "--study", str(study), "--patient", "P1", "--seconds",
            "1", tmp=tmp_path)
    assert_one_line(r, study, "is a file")


def test_gui_study_that_is_a_file(tmp_path):
    study = tmp_path / "study"
    study.write_text("x")
    r = run("gui", "--study", str(study), "--screenshot", str(tmp_path / "x.png"),
            tmp=tmp_path)
    assert_one_line(r, study, "is a file")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("trial", ["999", "abc"])
def test_gui_trial_that_does_not_exist_is_one_line(tmp_path, study, trial):
    """No window opens (the check runs before Qt), for a window or a screenshot."""
    for extra in ([], ["--screenshot", str(tmp_path / "x.png")]):
        r = run("gui", "--study", str(study), "--patient", "SIM-001", "--view", "review",
                "--trial", trial, *extra, tmp=tmp_path)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert f"no trial '{trial}'" in r.stderr and "001" in r.stderr
        assert not (tmp_path / "x.png").exists()


def test_gui_trial_outside_the_review_view_is_refused(tmp_path, study):
    r = run("gui", "--study", str(study), "--patient", "SIM-001", "--view", "progress",
            "--trial", "001", "--screenshot", str(tmp_path / "x.png"), tmp=tmp_path)
    assert r.returncode == 2 and "--trial applies to --view review" in r.stderr


# ---------------------------------------------------------------------- planted links


def _plant(link: Path, victim: Path) -> None:
    victim.write_text("precious")
    link.symlink_to(victim)


@pytest.mark.qt
def test_report_temp_name_cannot_be_redirected_by_a_planted_link(tmp_path, study):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    victim = tmp_path / "victim.txt"
    _plant(out_dir / ".report.html.tmp", victim)
    r = run("report", "--study", str(study), "--patient", "SIM-001",
            "-o", str(out_dir / "report.html"), tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious"
    assert (out_dir / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert oct((out_dir / "report.html").stat().st_mode & 0o777) == "0o600"


def test_settings_and_profiles_cannot_be_redirected_by_a_planted_link(tmp_path):
    from kinewrite.acquisition.calibration import (
        fit_pressure_profile,
        load_profile,
        profile_path,
        save_profile,
    )
    from kinewrite.gui.settings import load_settings, save_settings

    victim = tmp_path / "victim.txt"
    _plant(tmp_path / ".settings.json.tmp", victim)
    save_settings({"last_study": "/x"}, tmp_path)
    assert load_settings(tmp_path) == {"last_study": "/x"}
    assert victim.read_text() == "precious"
    profile = fit_pressure_profile([0.2, 0.4, 0.6, 0.8], [0.5, 1.1, 1.8, 2.5], stylus="pen-1")
    target = profile_path("pen-1", tmp_path / "styluses")
    target.parent.mkdir()
    (target.parent / f".{target.name}.tmp").symlink_to(victim)
    save_profile(profile, tmp_path / "styluses")
    assert load_profile("pen-1", tmp_path / "styluses").stylus == "pen-1"
    assert victim.read_text() == "precious"
    leftovers = [p.name for p in tmp_path.rglob("*.tmp") if not p.is_symlink()]
    assert leftovers == []
