"""The Progress view offscreen: it plots the stored features (the export's numbers), draws
reference bands and treatment markers, needs no feature recomputation, renders to PNG."""

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

import kinewrite.analysis.features as features_module
import kinewrite.export.rows as export_module
from kinewrite.analysis.reference import plain_label
from kinewrite.export import ExportOptions, collect_rows, rows_to_frame, session_paths
from kinewrite.gui.progress import ProgressView, render_progress_png

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


@pytest.fixture(scope="module")
def exported():
    rows, _ = collect_rows(session_paths(SAMPLE), ExportOptions(str(SAMPLE)), workers=1)
    return rows_to_frame(rows)


def test_plotted_numbers_are_the_exported_ones(qtbot, exported):
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    for task in ("sentence", "spiral_guided", "spiral_free", "circles"):
        view.set_task(task)
        series = view.plotted_series()
        rows = exported[exported["protocol_task"] == task]
        rows = rows.sort_values(["session_created", "trial"]).drop_duplicates(
            "session_id", keep="last")  # the last complete trial of each visit
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
    # the sample's stylus is calibrated: pen pressure is plotted in N by default
    assert "pressure_mean_N" in view.chosen_features()
    view.set_features(["stroke_frequency_hz", "pressure_mean", "pressure_mean_N"])
    assert list(view.feature_plots) == ["stroke_frequency_hz", "pressure_mean",
                                        "pressure_mean_N"]
    rhythm = view.feature_plots["stroke_frequency_hz"]
    regions = [i for i in rhythm.items if isinstance(i, pg.LinearRegionItem)]
    assert len(regions) == 1 and regions[0].getRegion() == (4.5, 5.0)  # fluent handwriting
    pressure = view.feature_plots["pressure_mean"]
    assert not [i for i in pressure.items if isinstance(i, pg.LinearRegionItem)]  # no number
    assert "fraction of range" in pressure.getAxis("left").labelText
    newtons = view.feature_plots["pressure_mean_N"]
    (band,) = [i for i in newtons.items if isinstance(i, pg.LinearRegionItem)]
    assert band.getRegion()[1] == pytest.approx(1.0)  # healthy < 1 N in writing
    assert "beyond measurement noise" in view.change_notes["stroke_frequency_hz"]
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


def _bands(plot):
    return [i for i in plot.items if isinstance(i, pg.LinearRegionItem)
            or (isinstance(i, pg.InfiniteLine) and i.angle == 0)]


def test_no_band_without_a_source_for_that_task(qtbot):
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    # paced loops: no 4.5-5 Hz rhythm band, no automation or NIV band
    view.set_task("loops")
    view.set_features(["stroke_frequency_hz", "automation_pct", "niv_mean",
                       "tremor_amplitude_pp_mm"])
    for name, plot in view.feature_plots.items():
        assert not _bands(plot), name
        assert "healthy writers" not in plot.titleLabel.text, name
    # jerkiness: 18.97 is a floor, no band on any task; NCA likewise
    view.set_task("lines")
    view.set_features(["normalized_jerk_median", "nca_mean"])
    for name, plot in view.feature_plots.items():
        assert not _bands(plot), name
    # the tremor rating band belongs to spirals
    view.set_task("spiral_free")
    view.set_features(["tremor_amplitude_pp_mm"])
    assert _bands(view.feature_plots["tremor_amplitude_pp_mm"])


def test_no_tremor_is_a_named_marker_not_a_zero_amplitude(qtbot):
    from kinewrite.gui.progress import NO_TREMOR_TEXT

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.set_task("sentence")  # the stroke rhythm is excluded: most visits have no tremor
    view.set_features(["tremor_amplitude_pp_mm"])
    plot = view.feature_plots["tremor_amplitude_pp_mm"]
    detected = view.progress.series("sentence", "tremor_detected")[1]
    dates, values = view.plotted_series()["tremor_amplitude_pp_mm"]
    marked = view.no_tremor["tremor_amplitude_pp_mm"]
    assert marked.size == int((detected == 0).sum()) > 0
    assert np.all(np.isnan(values[np.isin(dates, marked)]))
    # nothing is drawn at an amplitude at those visits: no curve has a finite point there
    marked_ms = marked.astype("datetime64[ms]").astype("int64")
    for item in plot.listDataItems():
        if not isinstance(item, pg.PlotDataItem):
            continue  # the crosses below 0, checked next
        x, y = item.getData()
        if x is None:
            continue
        at = np.isin(np.round(np.asarray(x) * 1000).astype("int64"), marked_ms)
        assert not np.isfinite(np.asarray(y)[at]).any()
    # one marker per such visit, below the zero line, named in the legend
    (crosses,) = [i for i in plot.items if isinstance(i, pg.ScatterPlotItem)
                  and i.opts["symbol"] == "x"]
    cx, cy = crosses.getData()
    np.testing.assert_array_equal(np.round(cx * 1000).astype("int64"), marked_ms)
    assert np.all(cy < 0)  # under 0 mm: not a value of 0
    labels = [label.text for _, label in plot.legend.items]
    assert NO_TREMOR_TEXT in labels


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


def test_uncalibrated_pressure_says_so(qtbot, tmp_path):
    from kinewrite.simulate import simulate_trial
    from kinewrite.storage.session import STATE_TOUCH, SessionWriter

    with SessionWriter.create(tmp_path, "WC-031") as w:  # no stylus profile
        rec = simulate_trial("sentence", 6.0, seed=3).recording
        w.begin_trial("sentence", 133.0, "tablet", channels=("t", "x", "y", "pressure", "state"))
        w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                 state=np.full(rec.t.size, STATE_TOUCH))
        w.end_trial("complete")
    view = ProgressView(tmp_path, "WC-031")
    qtbot.addWidget(view)
    assert "pressure_mean" in view.chosen_features()
    assert "pressure_mean_N" not in view.chosen_features()
    plot = view.feature_plots["pressure_mean"]
    assert "uncalibrated" in plot.getAxis("left").labelText
    assert not _bands(plot)


def test_render_png(tmp_path):
    out = render_progress_png(SAMPLE, "SIM-001", tmp_path / "p.png", size=(1200, 800))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PyQt6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)


def test_a_band_is_drawn_exactly_where_the_registry_has_a_source(qtbot):
    from kinewrite.analysis.features import feature_names
    from kinewrite.analysis.reference import reference_for

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    for key in view.progress.tasks:
        task = view.progress.task_of(key)
        view.set_task(key)
        names = feature_names(task)
        view.set_features(names)
        for name in names:
            ref = reference_for(name, task)
            assert bool(_bands(view.feature_plots[name])) == (ref is not None), (key, name)
            if ref is not None:
                assert ref.source  # cited (docs/features.md lists it: test_reference)


def test_changes_beyond_noise_are_ringed(qtbot):
    from kinewrite.gui.progress import REAL_CHANGE_TEXT

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.set_task("sentence")
    view.set_features(["stroke_frequency_hz"])
    p = view.progress
    dates, values = p.series("sentence", "stroke_frequency_hz")
    mdc = p.noise("sentence", "stroke_frequency_hz").mdc95
    expected = dates[1:][np.abs(np.diff(values)) > mdc]  # 2.0 -> 3.1 Hz etc.
    assert expected.size >= 2
    np.testing.assert_array_equal(view.real_changes["stroke_frequency_hz"], expected)
    plot = view.feature_plots["stroke_frequency_hz"]
    assert REAL_CHANGE_TEXT in [label.text for _, label in plot.legend.items]


def _label_items(plot):
    """Every text drawn inside a plot's view: treatment labels and notes."""
    labels = [i.label for i in plot.items if isinstance(i, pg.InfiniteLine)
              and getattr(i, "label", None) is not None and i.label.isVisible()]
    return labels + [i for i in plot.items if isinstance(i, pg.TextItem)
                     and i.isVisible() and i.toPlainText().strip()]


def _point_positions(plot):
    """Scene positions of every data point's symbol of a plot (curves, crosses, rings)."""
    out = []
    for item in plot.items:
        if isinstance(item, pg.PlotDataItem):
            x, y = item.getData()
        elif isinstance(item, pg.ScatterPlotItem):
            x, y = item.getData()
        else:
            continue
        if x is None:
            continue
        for px, py in zip(np.asarray(x, float), np.asarray(y, float), strict=True):
            if np.isfinite(px) and np.isfinite(py):
                out.append(plot.vb.mapViewToScene(pg.Point(px, py)))
    return out


def _assert_labels_inside_and_clear(view):
    plots = {**view.feature_plots, **view.clinical_plots}
    n = 0
    for name, plot in plots.items():
        box = plot.vb.sceneBoundingRect()
        points = _point_positions(plot)
        for label in _label_items(plot):
            rect = label.sceneBoundingRect()
            n += 1
            assert box.contains(rect), (name, label.toPlainText(), rect, box)
            if plot.legend is not None and plot.legend.isVisible():  # not under the legend
                assert not rect.intersects(plot.legend.sceneBoundingRect()), name
            for pt in points:
                assert not rect.contains(pt), (name, label.toPlainText(), pt)
    return n


@pytest.mark.parametrize("size", [(1280, 800), (900, 600)])
def test_treatment_labels_stay_inside_and_hide_no_point(qtbot, size):
    from PyQt6.QtWidgets import QApplication

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*size)
    view.show()
    n = 0
    for key in view.progress.tasks:
        view.set_task(key)
        for _ in range(3):
            QApplication.processEvents()
        n += _assert_labels_inside_and_clear(view)
    if size[1] >= 800:  # room for them: both treatments labelled on every task
        assert n >= 2 * len(view.progress.tasks)


def test_report_charts_labels_stay_inside_and_hide_no_point(qtbot):
    """The report's small charts (2 columns, 700 x 128 px): the tremor of the spiral has
    one finite point, which a treatment label once covered."""
    from PyQt6.QtWidgets import QApplication

    from kinewrite.report import CHART_HEIGHT_PX, CHART_WIDTH_PX, _charted

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.columns, view.font_pt, view.short_titles = 2, 12.0, True
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.show()
    view.plots.setFixedSize(CHART_WIDTH_PX, CHART_HEIGHT_PX)
    n = 0
    for key in view.progress.tasks:
        view.set_task(key)
        view.set_features(_charted(view.progress, key))
        for _ in range(3):
            QApplication.processEvents()
        n += _assert_labels_inside_and_clear(view)
    assert n >= 2 * len(view.progress.tasks)


def test_mouse_recorded_visit_is_drawn_hollow(qtbot, mouse_study):
    from kinewrite.gui.progress import MOUSE_TEXT

    view = ProgressView(mouse_study, "WC-032")
    qtbot.addWidget(view)
    view.set_features(["stroke_frequency_hz", "pressure_mean"])
    dates = view.plotted_series()["stroke_frequency_hz"][0]
    for name in ("stroke_frequency_hz", "pressure_mean"):
        plot = view.feature_plots[name]
        np.testing.assert_array_equal(view.mouse_visits[name], dates[1:])  # the 2nd visit
        (hollow,) = [i for i in plot.items if isinstance(i, pg.ScatterPlotItem)
                     and i.toolTip() == MOUSE_TEXT]
        hx, _ = hollow.getData()
        assert np.round(hx * 1000).astype("int64").tolist() == [dates[1].astype("int64")]
        assert hollow.opts["brush"].color().getRgb()[:3] == (255, 255, 255)  # hollow
        assert MOUSE_TEXT in [label.text for _, label in plot.legend.items]


def test_a_measure_without_any_value_shows_a_text_not_empty_axes(qtbot):
    from kinewrite.gui.progress import NOT_MEASURED_TEXT

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.set_task("lines")  # straight lines: no tremor analysis (NaN in every visit)
    assert not np.isfinite(view.progress.series("lines", "tremor_amplitude_pp_mm")[1]).any()
    view.set_features(["speed_mean_mm_s", "tremor_amplitude_pp_mm"])
    assert view.not_measured == ["tremor_amplitude_pp_mm"]
    empty = view.feature_plots["tremor_amplitude_pp_mm"]
    assert not empty.getAxis("left").isVisible() and not empty.getAxis("bottom").isVisible()
    texts = [i.toPlainText() for i in empty.items if isinstance(i, pg.TextItem)]
    assert texts == [NOT_MEASURED_TEXT]
    assert not [i for i in empty.items if isinstance(i, (pg.PlotDataItem, pg.ScatterPlotItem,
                                                        pg.InfiniteLine))]
    measured = view.feature_plots["speed_mean_mm_s"]  # its neighbour keeps its axes
    assert measured.getAxis("left").isVisible() and measured.listDataItems()
    # a sentence whose visits had no tremor at all is still drawn: the crosses say so
    view.set_task("sentence")
    view.set_features(["tremor_amplitude_pp_mm"])
    assert view.not_measured == []
