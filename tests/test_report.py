"""kinewrite report: a self-contained HTML file (no network), the stored numbers, a SIMULATED
banner for simulated data, one-line errors with exit code 2."""

import base64
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from kinewrite.analysis.reference import reference_for
from kinewrite.progress import load_progress, task_label
from kinewrite.report import _healthy_text, _value, summary_lines
from kinewrite.trial_features import finish_trial

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "study"
KW = [sys.executable, "-m", "kinewrite.cli"]


def run(*args):
    return subprocess.run([*KW, *args], capture_output=True, text=True, timeout=180,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "report.html"
    r = run("report", "--study", str(SAMPLE), "--patient", "SIM-001", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    return out.read_text(encoding="utf-8")


@pytest.mark.qt
def test_self_contained_and_printable(report):
    assert report.startswith("<!DOCTYPE html>")
    # nothing fetched: no external URL in any src/href, no script, no stylesheet link
    assert not re.search(r"""(src|href)\s*=\s*['"](?!data:)""", report)
    assert "<script" not in report and "<link" not in report and "@import" not in report
    assert "@page { size: A4" in report
    images = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", report)
    assert len(images) == 6 + 1  # one per protocol task and the clinical scales
    for b64 in images:
        svg = base64.b64decode(b64)
        assert b"<svg" in svg and b"<text" in svg  # vector, with its text as text
        # the points are vector paths too: no raster image of pyqtgraph's symbol atlas
        assert b"<image" not in svg and b"<path" in svg
    assert report.count("<svg class='ink'") == 2 * 6  # first and latest of each protocol task


@pytest.mark.qt
def test_simulated_banner_and_content(report):
    assert report.count("SIMULATED DATA") >= 3  # the summary, the progress, the handwriting
    for text in ("Botulinum toxin 80 U", "Pen-grip training", "writing rhythm",
                 "Handwriting: first and latest visit", "Latest visit, 2026-02-09"):
        assert text in report, text
    body = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg)\b.*?</\1>", " ", report, flags=re.S))
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", body), re.findall(r"\b[a-z]+_[a-z_]+\b", body)


@pytest.mark.qt
def test_numbers_are_the_stored_ones(report):
    p = load_progress(SAMPLE, "SIM-001")
    last = p.table[p.table["session_date"] == "2026-02-09"]
    sentence = last[last["task"] == "sentence"].iloc[0]
    shown = _value("stroke_frequency_hz", sentence["stroke_frequency_hz"])
    assert shown == f"{sentence['stroke_frequency_hz']:.3g} Hz" and shown in report
    first = p.table[(p.table["session_number"] == 1) & (p.table["task"] == "spiral")].iloc[0]
    assert f"{first['tremor_amplitude_pp_mm']:.3g} mm" in report
    rows = {(r["task"], r["technical"]): r for r in summary_lines(p)}
    assert rows[("sentence", "stroke_frequency_hz")]["change"] == "better"
    assert rows[("sentence", "stroke_frequency_hz")]["noise"].startswith(
        "beyond measurement noise (MDC95 ")
    # guided and free spirals are two rows, each its own series
    assert rows[("spiral_guided", "tremor_amplitude_pp_mm")]["change"] == "better"
    assert rows[("spiral_free", "tremor_amplitude_pp_mm")]["task_label"] == \
        "Spiral without a guide"
    # the sample's stylus is calibrated: pressure in N, with the < 1 N band of writing
    pressure = rows[("sentence", "pressure_mean_N")]
    assert pressure["change"] == "better" and pressure["healthy"] == "< 1 N"
    assert pressure["last"].endswith(" N")
    assert "beyond measurement noise" in report and "Spiral on the guide" in report


@pytest.mark.qt
def test_no_band_without_a_source_and_no_tremor_is_not_0_mm(report):
    from kinewrite.report import summary_lines

    p = load_progress(SAMPLE, "SIM-001")
    rows = summary_lines(p)
    # the loops are paced: no writing-rhythm band is cited for them, so none is shown
    assert reference_for("stroke_frequency_hz", "loops") is None
    assert reference_for("stroke_frequency_hz", "sentence") is not None
    assert all(r["healthy"] == "" for r in rows if r["task"] == "loops")
    # jerkiness: the theoretical floor is said as a floor, never as a healthy range
    assert reference_for("normalized_jerk_median", "lines") is None
    assert _healthy_text("normalized_jerk_median", "lines").startswith("no healthy range (")
    assert "theoretical floor" in _healthy_text("normalized_jerk_median", "lines")
    # a visit without a detected tremor reads "no tremor detected", never 0 mm
    sentence = p.rows("sentence")
    none = sentence[sentence["tremor_detected"] == 0]
    assert len(none) and "no tremor detected" in report
    assert _value("tremor_amplitude_pp_mm", float("nan"), 0.0) == "no tremor detected"
    assert not re.search(r">0(\.0+)? mm<", report)  # no amplitude of 0 mm in any cell


def test_uncalibrated_pressure_says_so(tmp_path):
    import numpy as np

    from kinewrite.report import summary_lines as lines_of
    from kinewrite.simulate import simulate_trial
    from kinewrite.storage.schema import STATE_TOUCH
    from kinewrite.storage.writer import SessionWriter

    for when in ("2025-01-06T09:00:00Z", "2025-02-03T09:00:00Z"):
        with SessionWriter.create(tmp_path, "WC-030", created=when) as w:
            rec = simulate_trial("sentence", 6.0, seed=3).recording
            w.begin_trial("sentence", 133.0, "tablet",
                          channels=("t", "x", "y", "pressure", "state"))
            w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                     state=np.full(rec.t.size, STATE_TOUCH))
            finish_trial(w, "complete")
    rows = {r["technical"]: r for r in lines_of(load_progress(tmp_path, "WC-030"))}
    assert "pressure_mean_N" not in rows
    assert rows["pressure_mean"]["last"].endswith("% of tablet range (uncalibrated)")
    assert rows["pressure_mean"]["healthy"] == ""  # no band for a fraction of the range


def test_errors_exit_2_one_line(tmp_path):
    r = run("report", "--study", str(SAMPLE), "--patient", "XX-9", "-o", str(tmp_path / "r.html"))
    assert r.returncode == 2 and "no session of patient 'XX-9'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run("report", "--study", str(tmp_path), "--patient", "SIM-001", "-o",
            str(tmp_path / "r.html"))
    assert r.returncode == 2 and "no session" in r.stderr
    r = run("report", "--study", str(SAMPLE), "--patient", "SIM-001", "-o",
            str(tmp_path / "missing" / "r.html"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.qt
def test_chart_text_prints_at_9_pt_or_more(report):
    """Each chart's smallest text, at the width it is printed (the A4 text width, 186 mm, or
    less for the scales beside their table) in the HTML and in the PDF, is >= 9 pt."""
    from kinewrite.gui.report_pdf import SCALES_TABLE, TEXT_WIDTH_MM

    images = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", report)
    for k, b64 in enumerate(images):
        svg = base64.b64decode(b64).decode()
        view_w = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
        # the scales' chart comes first: 55 % of the text width in the HTML, the rest of its
        # line beside the table in the PDF
        html_mm = 186.0 * (0.55 if k == 0 else 1.0)
        pdf_mm = (TEXT_WIDTH_MM * (1 - SCALES_TABLE) - 2) if k == 0 else TEXT_WIDTH_MM
        # the <text> elements' sizes (a group's font-size is Qt's default font, no text)
        sizes = [float(v) for v in re.findall(r'<text[^>]*font-size="([\d.]+)"', svg)]
        assert len(sizes) >= 6, k
        for printed_mm in (html_mm, pdf_mm):
            smallest_pt = min(sizes) * 72 / 96 * printed_mm / (view_w * 25.4 / 96)
            assert smallest_pt >= 9.0, (k, printed_mm, smallest_pt)


def _page_count(pdf: bytes) -> int:
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b.*?/Count (\d+)", pdf, re.S)]
    return max(counts) if counts else len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.skipif(__import__("shutil").which("chromium") is None,
                    reason="needs headless Chromium (Debian package chromium)")
@pytest.mark.qt
def test_a_typical_patient_prints_on_2_or_3_a4_pages(report, tmp_path):
    html_file = tmp_path / "r.html"
    html_file.write_text(report, encoding="utf-8")
    pdf = tmp_path / "r.pdf"
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                        html_file.as_uri()], capture_output=True, timeout=180)
    assert pdf.exists(), r.stderr[-500:]
    assert 2 <= _page_count(pdf.read_bytes()) <= 3


@pytest.fixture(scope="module")
def pdf_report(tmp_path_factory):
    """The sample patient's report written as a PDF by ``kinewrite report -o x.pdf``."""
    folder = tmp_path_factory.mktemp("pdf")
    out = folder / "report.pdf"
    r = run("report", "--study", str(SAMPLE), "--patient", "SIM-001", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    assert not list(folder.glob(".*.tmp"))  # the temporary file renamed, none left
    return out


def _pdf_pages(pdf: Path) -> int:
    """Pages of `pdf` by poppler's pdfinfo, else by counting its page objects."""
    if shutil.which("pdfinfo"):
        r = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60)
        return int(re.search(r"^Pages:\s+(\d+)", r.stdout, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))


def _pdf_text(pdf: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("needs pdftotext (Debian package poppler-utils)")
    r = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.qt
def test_report_writes_a_pdf_directly_on_2_or_3_pages(pdf_report):
    data = pdf_report.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert 2 <= _pdf_pages(pdf_report) <= 3
    assert re.search(rb"/MediaBox\s*\[0 0 595", data)  # A4: 595 x 842 pt


@pytest.mark.qt
def test_pdf_says_what_the_html_says(pdf_report):
    """Real text: the patient, the sections, the task and chart titles, the summary's plain
    names and numbers (those of the HTML report), the footer's sources; no snake_case."""
    text = _pdf_text(pdf_report)
    flat = " ".join(text.split()).replace("/ ", "/")  # "docs/" may end a line
    p = load_progress(SAMPLE, "SIM-001")
    for words in ("Handwriting progress report: patient SIM-001", "Am I getting better?",
                  "Treatments", "Clinical scales", "Progress of each task",
                  "Handwriting: first and latest visit", "Botulinum toxin 80 U",
                  "docs/science.md", "SIMULATED DATA", "Latest visit, 2026-02-09",
                  "beyond measurement noise", "page 1 of"):
        assert words in flat, words
    for key in p.tasks:  # a heading per protocol task, its charts' titles as text
        assert task_label(key, p.task_of(key)) in flat, key
    for title in ("tremor", "pen pressure", "writing rhythm", "smooth strokes",
                  "writing speed", "ADDS", "WCRS"):
        assert re.search(rf"^{title}$", text, re.M), title  # a chart's own title line
    dense = re.sub(r"\s", "", text)  # pdftotext guesses spaces: "< 1 N" may read "<1N"
    for row in summary_lines(p):
        for key in ("measure", "first", "last", "healthy", "noise"):
            assert re.sub(r"\s", "", row[key]) in dense, (key, row[key])
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)


@pytest.mark.qt
def test_pdf_charts_and_handwriting_are_vector(pdf_report):
    """The charts and the handwriting are painted as paths (QSvgRenderer into the PDF
    painter): the pages' content streams hold thousands of path operators and the file
    no more images than the handwriting's 2 a protocol task (none, drawn as paths)."""
    data = pdf_report.read_bytes()
    images = len(re.findall(rb"/Subtype\s*/Image\b", data))
    assert images <= 2 * 6
    ops = 0
    for stream in re.findall(rb"/Filter\s*/FlateDecode.*?stream\r?\n(.*?)\r?\nendstream",
                             data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue  # not a content stream (a font, an image)
        ops += len(re.findall(rb"\s[lc]\n", content))  # lineto, curveto
    assert ops > 5000, ops  # 7 charts (lines, symbols, grids) and 12 handwriting samples
    assert len(data) < 2_000_000  # vector: small (rasters at print resolution would not be)


def _one_visit_study(tmp_path: Path) -> Path:
    study = tmp_path / "study"
    (study / "SIM-001").mkdir(parents=True)
    first = sorted((SAMPLE / "SIM-001").glob("session-*.h5"))[0]
    shutil.copy(first, study / "SIM-001" / first.name)
    return study


@pytest.mark.qt
def test_one_visit_pdf_says_so(tmp_path):
    out = tmp_path / "one.pdf"
    r = run("report", "--study", str(_one_visit_study(tmp_path)), "--patient", "SIM-001",
            "-o", str(out))
    assert r.returncode == 0, r.stderr
    flat = " ".join(_pdf_text(out).split())
    assert "There is one visit so far" in flat and "one visit so far" in flat
    assert "1 session from 2025-09-08 to 2025-09-08" in flat
    assert 1 <= _pdf_pages(out) <= 3


@pytest.mark.qt
def test_one_visit_says_so(tmp_path):
    study = _one_visit_study(tmp_path)
    out = tmp_path / "one.html"
    r = run("report", "--study", str(study), "--patient", "SIM-001", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "There is one visit so far" in text and "one visit so far" in text
    assert "<td class=''></td>" not in text  # no blank change cell



def test_mouse_recorded_visit_is_named_in_the_report(mouse_study):
    """One tablet and one mouse visit: the report's summary names the mouse visit (Qt-free:
    the charts, drawn with Qt, are checked in tests/gui/test_progress_view.py)."""
    from kinewrite.report_html import report_html

    p = load_progress(mouse_study, "WC-032")
    assert list(p.recorded_with_mouse()) == ["2025-02-03"]
    assert list(p.recorded_with_mouse("sentence")) == [False, True]
    text = report_html(p, {})
    assert "Recorded with a mouse, not the tablet pen: 2025-02-03. Timing" in text
    assert "hollow point: recorded with a mouse" in text  # the charts' legend
    tablet_only = load_progress(mouse_study, "WC-032")
    tablet_only.table = tablet_only.table[tablet_only.table["input"] != "mouse"]
    assert "Recorded with a mouse" not in report_html(tablet_only, {})


def test_the_report_model_and_html_import_no_qt():
    """What the report says and its HTML writer are Qt-free; Qt draws the charts and the PDF
    (report_charts, report_pdf) only when a report is written."""
    code = ("import sys, kinewrite.report, kinewrite.report_html, kinewrite.report_ink\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith(('PyQt', "
            "'pyqtgraph')))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "", out.stdout


@pytest.mark.qt
def test_pdf_names_the_mouse_visit(mouse_study, tmp_path):
    """The PDF says which visit was recorded with a mouse, and its legend the hollow point."""
    from kinewrite.gui.report_writer import build_report

    out = build_report(mouse_study, "WC-032", tmp_path / "mouse.pdf")
    flat = " ".join(_pdf_text(out).split())
    assert "Recorded with a mouse, not the tablet pen: 2025-02-03. Timing" in flat
    assert "hollow point: recorded with a mouse" in flat
    assert "SIMULATED" not in flat  # tablet visits written as a person's: no banner
