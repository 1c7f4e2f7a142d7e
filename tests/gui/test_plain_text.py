"""Text from a file is shown as the characters it holds, never rendered as markup (issue 11
item 7).

A real study is written whose session attributes, events, protocol file, file and folder
names hold HTML (``<h1>``, ``<img>``, ``<a href>``). The review, progress, main window, record
workflow and dialogs are opened offscreen on it, and every text the user can see is read back
as Qt draws it: a ``QLabel`` through its text format (plain, rich, or Qt's guess), a message
box likewise, a tooltip as Qt's guess, a pyqtgraph title, axis label, legend or text item as
the document it renders. Wherever a piece of the file's text appears, it must appear whole,
``<h1>`` and all: a rendered heading, image or link would drop the tags.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QTextDocument
from PyQt6.QtWidgets import (
    QApplication,
    QGraphicsTextItem,
    QGraphicsView,
    QLabel,
    QListWidget,
    QMessageBox,
    QTableWidget,
    QWidget,
)

from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.gui.calibration import CalibrationDialog
from kinewrite.gui.clinical import TreatmentEventDialog
from kinewrite.gui.main_window import MainWindow
from kinewrite.gui.metadata import PatientCodeEdit
from kinewrite.gui.synthetic_pen import SyntheticPen
from kinewrite.gui.text import PlainLabel, escape, plain_tooltip, rich_label
from kinewrite.gui.workflow import RecordWorkflow
from kinewrite.simulate import simulate_trial
from kinewrite.storage.schema import STATE_HOVER, STATE_TOUCH
from kinewrite.storage.writer import SessionWriter
from kinewrite.trial_features import finish_trial

# a progress plot of a measure NaN in every session: pyqtgraph's own warning, not ours
pytestmark = pytest.mark.filterwarnings("ignore:All-NaN slice encountered:RuntimeWarning")

MAPPING = ScreenMapping.from_dpi(100.0)
PATIENT = "HTML-1"
PROTOCOL_FILE = (Path(__file__).resolve().parents[2] / "src" / "kinewrite" / "acquisition"
                 / "protocols" / "writers_cramp.toml")


def payload(tag: str) -> str:
    """HTML that, rendered, would drop its tags: a heading, an image and a link."""
    return f'<h1>{tag}</h1><img src="x.png"><a href="http://example.invalid/">{tag}-link</a>'


#: tag -> the characters that must be seen wherever the tag is seen.
SHOWN = {tag: payload(tag) for tag in (
    "ANALYSISERROR", "NOREPLAY", "INPUTKIND", "PRODUCT", "EVENTKIND", "TASKTITLE",
    "INSTRUCTIONS", "PROTOCOLNAME", "MUSCLE", "PATIENTCODE", "FEATURENAME",
    "FEATUREVERSION")}
# folder and file names cannot hold "/": a bold tag and an image without a closing slash
SHOWN["STUDYDIR"] = "<b>STUDYDIR"
SHOWN["BROKENFILE"] = "<img src=x>BROKENFILE"
SHOWN["CONFIGDIR"] = "<i>CONFIGDIR"
# pyqtgraph's InfLineLabel runs str.format on its text: braces must come through as braces
SHOWN["BRACES"] = "{BRACES}{value:.3f}{0}"


# ----------------------------------------------------------------------- what Qt shows


def shown_text(text: str, fmt: Qt.TextFormat) -> str:
    """The characters Qt draws for `text` in a label (or message box, tooltip) of `fmt`."""
    rich = fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText
                                            and Qt.mightBeRichText(text))
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def visible_texts(root: QWidget) -> list[tuple[str, str, str]]:
    """(where, text given, text drawn) of every label, message box, tooltip and pyqtgraph
    text under `root` (hidden ones too: a page not shown yet is shown later)."""
    out: list[tuple[str, str, str]] = []
    for w in [root, *root.findChildren(QWidget)]:
        name = type(w).__name__
        if isinstance(w, QLabel):
            out.append((name, w.text(), shown_text(w.text(), w.textFormat())))
        if isinstance(w, QMessageBox):
            out.append((name, w.text(), shown_text(w.text(), w.textFormat())))
        if w.toolTip():
            out.append((f"{name} tooltip", w.toolTip(),
                        shown_text(w.toolTip(), Qt.TextFormat.AutoText)))
        items = []
        if isinstance(w, QListWidget):
            items = [w.item(i) for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            items = [w.item(r, c) for r in range(w.rowCount()) for c in range(w.columnCount())]
        for item in items:
            if item is not None and item.toolTip():
                out.append((f"{name} item tooltip", item.toolTip(),
                            shown_text(item.toolTip(), Qt.TextFormat.AutoText)))
        if isinstance(w, QGraphicsView) and w.scene() is not None:
            for item in w.scene().items():
                if item.toolTip():
                    out.append((f"{type(item).__name__} tooltip", item.toolTip(),
                                shown_text(item.toolTip(), Qt.TextFormat.AutoText)))
                if isinstance(item, QGraphicsTextItem):
                    drawn = item.document().toPlainText()
                    parent = item.parentItem()
                    tip = shown_text(parent.toolTip(), Qt.TextFormat.AutoText) \
                        if parent is not None and parent.toolTip() else ""
                    if drawn.endswith("…") and len(drawn) > 1 and tip.startswith(drawn[:-1]):
                        continue  # shortened to fit (a treatment label); whole in its tooltip
                    out.append((f"{type(parent).__name__} text", drawn, drawn))
    return out


def problems(root: QWidget) -> tuple[list[str], set[str]]:
    """Texts where a file's text is not drawn whole, and the tags seen."""
    bad, seen = [], set()
    for where, given, drawn in visible_texts(root):
        for tag, literal in SHOWN.items():
            if tag in given or tag in drawn:
                seen.add(tag)
                if literal not in drawn:
                    bad.append(f"{where}: {given!r} is drawn as {drawn!r}")
    return bad, seen


def assert_verbatim(root: QWidget, expected: set[str]) -> None:
    bad, seen = problems(root)
    assert not bad, "\n".join(bad)
    assert expected <= seen, f"not shown anywhere: {sorted(expected - seen)}"


# ----------------------------------------------------------------------- the study


def _record(w: SessionWriter, task: str, seed: int, **attrs) -> str:
    rec = simulate_trial(task, seed=seed).recording
    name = w.begin_trial(task, nominal_rate_hz=133.0, input_kind="simulated",
                         channels=("t", "x", "y", "pressure", "state"), attrs=attrs or None)
    w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
             state=np.where(rec.pen_down, STATE_TOUCH, STATE_HOVER))
    finish_trial(w, "complete")
    return name


@pytest.fixture
def study(tmp_path: Path, monkeypatch) -> Path:
    """A study (in a folder named with a tag) of one session: 001 loops with a forged input
    and analysis error and no features, 002 aborted without samples (its stored error), 003
    loops complete with a forged feature and analysis version; a toxin event whose product
    holds HTML, an event of a forged kind, one whose product holds format fields; a file
    that is no session, named with a tag; a user protocol whose name, task title and
    instructions hold HTML."""
    config = tmp_path / SHOWN["CONFIGDIR"]
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(config))
    (config / "protocols").mkdir(parents=True)
    toml = PROTOCOL_FILE.read_text(encoding="utf-8")
    toml = toml.replace('name = "Writer\'s cramp standard"',
                        f"name = '{payload('PROTOCOLNAME')}'")
    toml = toml.replace('title = "Cursive loops (llll)"', f"title = '{payload('TASKTITLE')}'")
    assert payload("TASKTITLE") in toml and payload("PROTOCOLNAME") in toml
    toml = toml.replace('instructions = """\nPlease write a row',
                        f'instructions = """\n{payload("INSTRUCTIONS")} Please write a row', 1)
    assert payload("INSTRUCTIONS") in toml
    (config / "protocols" / "html.toml").write_text(toml, encoding="utf-8")

    folder = tmp_path / SHOWN["STUDYDIR"]
    folder.mkdir()
    w = SessionWriter.create(folder, PATIENT, {"hand": "right", "notes": payload("NOTES"),
                                               "operator": payload("OPERATOR")})
    _record(w, "loops", seed=1)
    w.begin_trial("lines", channels=("t", "x", "y", "pressure", "state"))
    finish_trial(w, "aborted", attrs={"abort_reason": payload("ABORT")})
    _record(w, "loops", seed=3)
    w.add_event("botulinum_toxin", "2020-01-01", muscles=[payload("MUSCLE")], dose_units=50.0,
                product=payload("PRODUCT"), notes=payload("EVENTNOTES"))
    w.add_event("other", "2020-01-02", notes="x")
    w.add_event("pen_grip_training", "2020-01-03", product=SHOWN["BRACES"])
    w.close()
    with h5py.File(w.path, "r+") as f:  # what a foreign or forged file may hold
        t1, t2 = f["trials/001"], f["trials/002"]
        t1.attrs["input"] = payload("INPUTKIND")
        t1.attrs["analysis_error"] = payload("ANALYSISERROR")
        del t1["features"]
        t2.attrs["analysis_error"] = payload("NOREPLAY")
        f["events/002"].attrs["kind"] = payload("EVENTKIND")
        _forge_feature(f["trials/003/features"], payload("FEATURENAME"))
        f["trials/003/features"].attrs["analysis_version"] = payload("FEATUREVERSION")
    (w.path.parent / f"session-{SHOWN['BROKENFILE']}.h5").write_bytes(b"not HDF5")
    return folder


def _forge_feature(features: h5py.Group, name: str) -> None:
    """Add a feature `name` = 1.0 to a trial's cached row, in both places it is stored (one
    attribute per feature, and the compact ``values`` row with its ``names``)."""
    features.attrs[name] = 1.0
    row = features["values"]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in row.attrs["names"]]
    values = np.append(row[()], 1.0)
    del features["values"]
    row = features.create_dataset("values", data=values)
    row.attrs.create("names", np.array([*names, name], dtype=object), shape=(values.size,),
                     dtype=h5py.string_dtype())


def _window(qtbot, study: Path) -> MainWindow:
    make_application()
    window = MainWindow(study, patient=PATIENT, mapping=MAPPING)
    qtbot.addWidget(window)
    window.resize(1300, 850)
    window.show()
    return window


def _answer_message_box(seen: list[tuple[str, str]]) -> None:
    """Read the next modal message box as drawn, then close it."""
    def close() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, close)
            return
        seen.append((box.text(), shown_text(box.text(), box.textFormat())))
        box.accept()

    QTimer.singleShot(0, close)


# ----------------------------------------------------------------------- the checks


def test_the_checker_sees_rendered_markup(qtbot) -> None:
    """The check itself: Qt's default label, an unescaped pyqtgraph title and a raw tooltip
    render the payload (the test would fail on them), the helpers do not."""
    make_application()
    for bad in (QLabel(payload("PRODUCT")), _plot_titled(payload("PRODUCT"))):
        bad.setToolTip(payload("MUSCLE"))
        qtbot.addWidget(bad)
        found, _ = problems(bad)
        assert len(found) == 2, found
    for good in (PlainLabel(payload("PRODUCT")),
                 rich_label(f"<b>bold</b> {escape(payload('PRODUCT'))}"),
                 _plot_titled(escape(payload("PRODUCT")))):
        good.setToolTip(plain_tooltip(payload("MUSCLE")))
        qtbot.addWidget(good)
        assert problems(good) == ([], {"PRODUCT", "MUSCLE"})


def _plot_titled(title: str) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget()
    widget.addPlot().setTitle(title)
    return widget


def test_review_shows_stored_text_as_text(qtbot, study) -> None:
    window = _window(qtbot, study)
    session = next((study / PATIENT).glob("session-2*.h5"))
    window.show_view("review", trial="001")  # forged input, stored error, no features
    assert window.review.trial.name == "001"
    assert escape(payload("ANALYSISERROR")) in window.review.table_note.text()
    assert_verbatim(window.review, {"INPUTKIND", "ANALYSISERROR"})
    window.review.load(session, "002")  # no samples: the message quotes the stored error
    assert window.review.message_text() is not None
    assert_verbatim(window.review, {"NOREPLAY"})
    window.review.load(session, "003")  # plots drawn: titles, axes, legend; forged features
    assert window.review.data is not None
    assert payload("FEATURENAME") in [row.name for row in window.review.table.rows()]
    assert_verbatim(window.review, {"FEATURENAME", "FEATUREVERSION"})


def test_progress_and_main_window_show_stored_text_as_text(qtbot, study) -> None:
    window = _window(qtbot, study)
    window.show_view("progress")
    labels = [label for _, label in window.progress.event_markers()]
    assert any(payload("PRODUCT") in label for label in labels), labels
    assert_verbatim(window.progress, {"PRODUCT", "EVENTKIND", "BRACES", "BROKENFILE",
                                      "STUDYDIR"})
    assert_verbatim(window, {"STUDYDIR", "BROKENFILE"})  # the toolbar; every tab
    boxes: list[tuple[str, str]] = []
    _answer_message_box(boxes)
    window.select_patient(payload("PATIENTCODE"))  # "No session of ... in this study"
    assert len(boxes) == 1 and payload("PATIENTCODE") in boxes[0][1], boxes


def test_record_workflow_shows_protocol_text_as_text(qtbot, study) -> None:
    make_application()
    wf = RecordWorkflow(study, MAPPING)
    qtbot.addWidget(wf)
    wf.resize(1300, 850)
    wf.show()
    qtbot.waitExposed(wf)
    index = wf.setup.protocol_combo.findText(f"{payload('PROTOCOLNAME')} (1)")
    assert index >= 0
    wf.setup.protocol_combo.setCurrentIndex(index)
    wf.setup.code_edit.setText("HTML-2")
    wf.setup.metadata_form.set_values({"hand": "left"})
    wf.start_session()
    loops = [s.key for s in wf.protocol.tasks].index("loops")
    wf.task_list.setCurrentRow(loops)
    assert_verbatim(wf, {"PROTOCOLNAME", "TASKTITLE", "INSTRUCTIONS"})
    wf.start_trial()
    rec = simulate_trial("loops", 10.0, seed=2, rate_hz=200.0).recording  # >= its 8 s
    SyntheticPen(wf.panel.canvas, MAPPING).write(rec)
    QApplication.processEvents()
    outcome = wf.panel.stop()
    assert outcome.status == "complete"
    assert payload("TASKTITLE") in wf.result.heading.text()
    assert_verbatim(wf, {"TASKTITLE"})
    wf.finish()  # the done page names the session file, in the tagged study folder
    assert_verbatim(wf, {"STUDYDIR"})
    wf.close_session()

    # A study folder that is a file: the "Cannot record" box quotes the path as text.
    blocked = RecordWorkflow(study / PATIENT / f"session-{SHOWN['BROKENFILE']}.h5", MAPPING)
    qtbot.addWidget(blocked)
    blocked.setup.code_edit.setText("HTML-3")
    blocked.setup.metadata_form.set_values({"hand": "left"})
    blocked.start_session()
    boxes: list[tuple[str, str]] = []
    _answer_message_box(boxes)
    assert blocked.start_trial() == ""
    assert len(boxes) == 1, boxes
    assert SHOWN["BROKENFILE"] in boxes[0][1] and SHOWN["STUDYDIR"] in boxes[0][1], boxes


def test_dialogs_show_typed_and_stored_text_as_text(qtbot, study, tmp_path) -> None:
    make_application()
    event = TreatmentEventDialog()
    qtbot.addWidget(event)
    event.add_muscle(payload("MUSCLE"))  # typed, or a muscle from a file
    assert event.muscles() == [payload("MUSCLE")]
    assert_verbatim(event, {"MUSCLE"})

    code = PatientCodeEdit()
    qtbot.addWidget(code)
    code.setText(payload("PATIENTCODE"))  # refused, the reason shown beside the field
    assert not code.is_valid()
    bad, _ = problems(code)
    assert not bad, bad

    dialog = CalibrationDialog(profile_dir=tmp_path / SHOWN["CONFIGDIR"] / "styluses")
    qtbot.addWidget(dialog)
    dialog.stylus_name.setText("pen-1")
    for grams, reading in ((50, 0.2), (100, 0.35), (200, 0.6), (300, 0.8)):
        dialog.add_weight(grams, reading)
    assert dialog.save() is not None  # "Profile saved: <path>" in the status line
    assert_verbatim(dialog, {"CONFIGDIR"})
