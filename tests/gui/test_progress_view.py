"""The Progress view offscreen: it plots the stored features (the export's numbers), draws
reference bands and treatment markers, needs no feature recomputation, renders to PNG."""

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

import kinewrite.analysis.features as features_module
import kinewrite.storage.export as export_module
from kinewrite.analysis.reference import plain_label
from kinewrite.gui.progress import ProgressView, render_progress_png
from kinewrite.storage.export import ExportOptions, collect_rows, rows_to_frame, session_paths

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


@pytest.fixture(scope="module")
def exported():
    rows, _ = collect_rows(session_paths(SAMPLE), ExportOptions(str(SAMPLE)), workers=1)
    return rows_to_frame(rows)


def test_plotted_numbers_are_the_exported_ones(qtbot, exported):
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    for task in ("sentence", "spiral", "circles"):
        view.set_task(task)
        series = view.plotted_series()
        rows = exported[exported["task"] == task].sort_values("session_created")
        dates = rows["session_created"].str[:23].to_numpy(dtype="datetime64[ms]")
        assert set(view.chosen_features()) <= set(series)
        for name in view.chosen_features():
            x, y = series[name]
            np.testing.assert_array_equal(x, dates)
            np.testing.assert_array_equal(y, rows[name].to_numpy(float), err_msg=name)
    _, adds = view.plotted_series()["ADDS"]
    assert adds.size == 6 and adds[0] == pytest.approx(60.0)


def test_bands_markers_labels(qtbot):
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.set_task("sentence")
    view.set_features(["stroke_frequency_hz", "pressure_mean"])
    assert list(view.feature_plots) == ["stroke_frequency_hz", "pressure_mean"]
    rhythm = view.feature_plots["stroke_frequency_hz"]
    regions = [i for i in rhythm.items if isinstance(i, pg.LinearRegionItem)]
    assert len(regions) == 1 and regions[0].getRegion() == (4.5, 5.0)  # SCIENCE.md §4
    pressure = view.feature_plots["pressure_mean"]
    assert not [i for i in pressure.items if isinstance(i, pg.LinearRegionItem)]  # no number
    assert [label for _, label in view.event_markers()] == [
        "Botulinum toxin 80 U onabotulinumtoxinA", "Pen-grip training"]
    assert str(view.event_markers()[0][0])[:10] == "2025-10-13"
    for plot in (*view.feature_plots.values(), *view.clinical_plots.values()):
        for side in ("left", "bottom"):
            label = plot.getAxis(side).labelText
            assert "(" in label and ")" in label, (side, label)  # a unit on every axis
    assert "(Hz)" in rhythm.getAxis("left").labelText
    assert view.banner.isVisible() or not view.isVisible()
    assert view.progress.simulated


def test_plain_labels_and_technical_details(qtbot):
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.set_task("sentence")
    items = [view.feature_list.item(i) for i in range(view.feature_list.count())]
    rhythm = next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == "stroke_frequency_hz")
    assert rhythm.text() == plain_label("stroke_frequency_hz") == "writing rhythm"
    assert "stroke_frequency_hz" in rhythm.toolTip() and "[Hz]" in rhythm.toolTip()
    view.feature_list.setCurrentItem(rhythm)  # one click: the details panel
    assert "stroke_frequency_hz" in view.details.text() and "4.5–5 Hz" in view.details.text()
    view.technical.setChecked(True)
    items = [view.feature_list.item(i) for i in range(view.feature_list.count())]
    assert any(i.text() == "stroke_frequency_hz (Hz)" for i in items)
    # ticking a measure plots it
    jerk = next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == "niv_mean")
    jerk.setCheckState(Qt.CheckState.Checked)
    assert "niv_mean" in view.plotted_series()


def test_opens_without_recomputing_features(qtbot, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("features recomputed / samples loaded")

    monkeypatch.setattr(features_module, "extract_features", boom)
    monkeypatch.setattr(export_module, "extract_features", boom)
    monkeypatch.setattr(export_module, "load_session", boom)
    monkeypatch.setattr("kinewrite.storage.session.load_session", boom)
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    assert view.progress.recomputed == 0 and view.plotted_series()


def test_unknown_patient_and_empty_study(qtbot, tmp_path):
    view = ProgressView(SAMPLE, "NOPE-1")
    qtbot.addWidget(view)
    assert "no session of patient 'NOPE-1'" in view.message.text()
    assert view.plotted_series() == {}
    view.set_study(tmp_path)
    assert "no session" in view.message.text()
    view.set_patient(None)
    assert view.plotted_series() == {}


def test_render_png(tmp_path):
    out = render_progress_png(SAMPLE, "SIM-001", tmp_path / "p.png", size=(1200, 800))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PyQt6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
