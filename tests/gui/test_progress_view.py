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
from kinewrite.trial_features import finish_trial

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
    *upper, last = view.feature_plots.values()
    *upper_scale, last_scale = view.clinical_plots.values()
    upper += upper_scale
    for plot in (*upper, last, last_scale):
        # a unit on every axis named; the plots of a column share their dates, named once
        # under the last of them
        for side in ("left", "bottom") if plot not in upper else ("left",):
            label = plot.getAxis(side).labelText
            assert "(" in label and ")" in label, (side, label)
    assert not [p for p in upper if p.getAxis("bottom").labelText]
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
    monkeypatch.setattr("kinewrite.storage.reader.load_session", boom)
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
    from kinewrite.storage.schema import STATE_TOUCH
    from kinewrite.storage.writer import SessionWriter

    with SessionWriter.create(tmp_path, "WC-031") as w:  # no stylus profile
        rec = simulate_trial("sentence", 6.0, seed=3).recording
        w.begin_trial("sentence", 133.0, "tablet", channels=("t", "x", "y", "pressure", "state"))
        w.append(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure,
                 state=np.full(rec.t.size, STATE_TOUCH))
        finish_trial(w, "complete")
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


# (900, 470): what the main window at 900 x 600 leaves the view (menu, study bar, tabs)
@pytest.mark.parametrize("size", [(1280, 800), (900, 600), (900, 470)])
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
        # every treatment line has a visible label, inside the view box, that starts with
        # its number in the key under the plots, even on a small laptop's screen
        plot = next(iter(view.feature_plots.values()))
        box = plot.vb.sceneBoundingRect()
        labels = [i for i in plot.items if isinstance(i, pg.TextItem) and i.isVisible()
                  and i.toPlainText().strip() and i.toPlainText() != "no tremor detected"]
        markers = view.event_markers()
        assert len(markers) == 2
        for number, (_date, text) in enumerate(markers, start=1):
            (label,) = [i for i in labels if i.toPlainText().split()[0] == str(number)]
            assert box.contains(label.sceneBoundingRect()), (key, number)
            assert f"{number} = {text}" in view.event_key.text()
        assert view.event_key.isVisible() or not view.isVisible()
    assert n >= 2 * len(view.progress.tasks)


def _symbol_rects(plot):
    """Scene rectangles of every data point's symbol of a plot (curves, crosses, rings)."""
    from PyQt6.QtCore import QRectF

    out = []
    for item in plot.items:
        if isinstance(item, pg.PlotDataItem):
            x, y = item.getData()
            size = item.opts.get("symbolSize", 0) if item.opts.get("symbol") else 0
        elif isinstance(item, pg.ScatterPlotItem):
            x, y = item.getData()
            size = item.opts.get("size", 0)
        else:
            continue
        if x is None or not size:
            continue
        for px, py in zip(np.asarray(x, float), np.asarray(y, float), strict=True):
            if np.isfinite(px) and np.isfinite(py):
                c = plot.vb.mapViewToScene(pg.Point(px, py))
                out.append(QRectF(c.x() - size / 2, c.y() - size / 2, size, size))
    return out


# (900, 470): what the main window at 900 x 600 leaves the view (menu, study bar, tabs)
@pytest.mark.parametrize("size", [(1280, 800), (900, 600), (900, 470)])
def test_legends_cover_no_data_point(qtbot, size):
    from PyQt6.QtWidgets import QApplication

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*size)
    view.show()
    legends = 0
    for key in view.progress.tasks:
        view.set_task(key)
        for _ in range(3):
            QApplication.processEvents()
        for name, plot in view.feature_plots.items():
            if plot.legend is None or not plot.legend.items:
                continue
            assert plot.legend.isVisible(), (key, name)  # shown, not hidden to pass
            rect = plot.legend.sceneBoundingRect()
            assert plot.vb.sceneBoundingRect().contains(rect), (key, name)
            for symbol in _symbol_rects(plot):
                assert not rect.intersects(symbol), (key, name, rect, symbol)
            legends += 1
    assert legends >= len(view.progress.tasks)  # rings or crosses on every task


def test_report_charts_labels_stay_inside_and_hide_no_point(qtbot):
    """The report's small charts (2 columns, 700 x 128 px): the tremor of the spiral has
    one finite point, which a treatment label once covered."""
    from PyQt6.QtWidgets import QApplication

    from kinewrite.report import CHART_HEIGHT_PX, CHART_WIDTH_PX, charted_measures

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.columns, view.font_pt, view.short_titles = 2, 12.0, True
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.show()
    view.plots.setFixedSize(CHART_WIDTH_PX, CHART_HEIGHT_PX)
    n = 0
    for key in view.progress.tasks:
        view.set_task(key)
        view.set_features(charted_measures(view.progress, key))
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


def _dark_palette():
    from PyQt6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, rgb in ((roles.Window, (45, 45, 45)), (roles.WindowText, (230, 230, 230)),
                      (roles.Base, (30, 30, 30)), (roles.AlternateBase, (50, 50, 50)),
                      (roles.Text, (230, 230, 230)), (roles.Button, (50, 50, 50)),
                      (roles.ButtonText, (230, 230, 230)), (roles.Mid, (90, 90, 90))):
        palette.setColor(role, QColor(*rgb))
    return palette


def _luminance(rgb):
    """WCAG relative luminance of an sRGB colour (0..255 per channel)."""
    c = np.asarray(rgb, float) / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def _drawn_contrast(widget):
    """WCAG contrast ratio of the text drawn in `widget` against its background, measured
    on the rendered pixels: the background is the most common colour, the text the pixel
    of most different luminance from it."""
    image = widget.grab().toImage()
    pixels = np.array([[image.pixelColor(x, y).getRgb()[:3]
                        for x in range(8, image.width() - 8, 2)]
                       for y in range(8, image.height() - 8, 2)]).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = _luminance(colours[np.argmax(counts)])
    lums = np.array([_luminance(c) for c in colours])
    text = lums[np.argmax(np.abs(lums - background))]
    hi, lo = max(text, background), min(text, background)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("dark", [False, True])
def test_definition_box_is_readable_in_a_light_and_a_dark_palette(qtbot, dark):
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette()
    if dark:  # as a system in dark mode gives it: the whole application's palette
        app.setPalette(_dark_palette())
    try:
        view = ProgressView(SAMPLE, "SIM-001")
        qtbot.addWidget(view)
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.resize(1280, 800)
        view.show()
        items = [view.feature_list.item(i) for i in range(view.feature_list.count())]
        view.feature_list.setCurrentItem(next(
            i for i in items if i.data(Qt.ItemDataRole.UserRole) == "stroke_frequency_hz"))
        QApplication.processEvents()
        assert "stroke_frequency_hz" in view.details.text()
        assert _drawn_contrast(view.details) >= 4.5  # WCAG AA for body text
    finally:
        app.setPalette(before)


def _axis_labels(view):
    """(plot name, side, rect in `view`'s pixels) of every visible axis label of its plots
    (the measures and the scales are two scenes side by side)."""
    out = []
    for name, plot in {**view.feature_plots, **view.clinical_plots}.items():
        graphics = plot.scene().views()[0]
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            if axis.isVisible() and axis.label.isVisible() and axis.labelText:
                scene = axis.label.mapRectToScene(axis.label.boundingRect())
                rect = graphics.mapFromScene(scene).boundingRect()
                rect.moveTopLeft(graphics.viewport().mapTo(view, rect.topLeft()))
                out.append((name, side, rect))
    return out


@pytest.mark.parametrize("size", [(1280, 800), (900, 600)])
def test_technical_names_show_registry_units_and_labels_do_not_overlap(qtbot, size):
    import re

    from PyQt6.QtWidgets import QApplication

    from kinewrite.analysis.features import FEATURES

    units = {f.name: f.unit for f in FEATURES}
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*size)
    view.show()
    view.technical.setChecked(True)
    checked = 0
    for key, names in (("sentence", ["stroke_frequency_hz", "pen_lifts", "pressure_mean",
                                     "tremor_amplitude_pp_mm"]),
                       ("spiral_guided", ["spiral_smoothness_1", "speed_mean_mm_s",
                                          "pressure_mean_N", "stroke_count"])):
        view.set_task(key)
        view.set_features(names)
        for _ in range(3):
            QApplication.processEvents()
        for name in names:
            plot = view.feature_plots[name]
            assert plot.titleLabel.text.startswith(f"{name} ({units[name]})")
            # the axis's unit is the registry's (a count's is 1, never "ratio")
            (unit,) = re.fullmatch(r"value \((.+)\)", plot.getAxis("left").labelText).groups()
            assert unit == units[name], (name, unit)
            checked += 1
        items = [view.feature_list.item(i) for i in range(view.feature_list.count())]
        for item in items:
            name = item.data(Qt.ItemDataRole.UserRole)
            if name:
                assert item.text() == f"{name} ({units[name]})"
        labels = _axis_labels(view)
        assert len(labels) == len(names) + 1 + 3  # dates named once under each column
        for i, (n1, s1, r1) in enumerate(labels):
            for n2, s2, r2 in labels[i + 1:]:
                assert not r1.intersects(r2), (n1, s1, n2, s2)
    assert checked == 8


def test_titles_start_with_the_measure_and_fit_their_plot(qtbot):
    """At 900 x 600 a title longer than its plot is shortened at its end (the full one is
    its tooltip), never cut at both ends so that the measure's name is lost."""
    import html
    import re

    from PyQt6.QtWidgets import QApplication

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(900, 600)
    view.show()
    view.set_task("sentence")
    for _ in range(3):
        QApplication.processEvents()
    shortened = 0
    for name, plot in {**view.feature_plots, **view.clinical_plots}.items():
        label = plot.titleLabel
        text = label.item.toPlainText()
        # the tooltip as read (a "<" in it is escaped), runs of spaces as HTML shows them
        full = " ".join(html.unescape(re.sub(r"<[^>]+>", "", label.toolTip())).split())
        assert text.rstrip("…") and full.startswith(text.rstrip("…")), (name, text, full)
        if name in view.feature_plots:
            assert text.startswith(plain_label(name)), (name, text)
        shortened += text.endswith("…")
        title = label.item.mapRectToScene(label.item.boundingRect())
        assert plot.sceneBoundingRect().contains(title), (name, title)
    assert shortened >= 1  # "writing rhythm · healthy writers 4.5–5 Hz · first to ..."


@pytest.mark.parametrize("size", [(1280, 800), (900, 600)])
def test_tremor_strip_tick_labels_do_not_overlap(qtbot, size):
    """The tremor plot's own ticks (0 and up, none in the "no tremor" strip) stand at least
    a line of text apart on screen."""
    from PyQt6.QtGui import QFontMetricsF
    from PyQt6.QtWidgets import QApplication

    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*size)
    view.show()
    view.set_task("sentence")
    for _ in range(3):
        QApplication.processEvents()
    plot = view.feature_plots["tremor_amplitude_pp_mm"]
    axis = plot.getAxis("left")
    (ticks,) = axis._tickLevels  # the labelled ticks set by the view
    values = [v for v, _ in ticks]
    assert values[0] == 0.0 and len(values) >= 2
    ys = [plot.vb.mapViewToScene(pg.Point(0.0, v)).y() for v in values]
    line = QFontMetricsF(axis.style["tickFont"]).height()
    gaps = np.abs(np.diff(ys))
    assert gaps.min() >= line, (values, ys, line)


def test_scale_charts_show_every_visit_where_the_report_draws_them(qtbot, monkeypatch):
    """The report draws the scales' grid (380 x 210 px) where the measures' plots were; the
    scales' plots were x-linked to the first measure's plot, and pyqtgraph lines overlapping
    linked views up by screen position: the ADDS chart showed one month, its line running
    off the chart. Every scale entry's date must lie inside its plot's x range when the
    report paints it."""
    import kinewrite.gui.report_charts as charts
    from kinewrite.progress import load_progress

    seen: dict[str, tuple[tuple[float, float], np.ndarray]] = {}
    paint = charts._svg_of

    def svg_of(widget, width, height):
        for item in widget.ci.items:
            if isinstance(item, pg.PlotItem) and item.titleLabel.text:
                curve = item.listDataItems()[0]
                seen[item.titleLabel.text] = (tuple(item.vb.viewRange()[0]), curve.xData)
        return paint(widget, width, height)

    monkeypatch.setattr(charts, "_svg_of", svg_of)
    charts.render_plots(load_progress(SAMPLE, "SIM-001"))
    for scale in ("ADDS", "WCRS"):
        (x_lo, x_hi), dates = next(v for k, v in seen.items() if k.endswith(f">{scale}</span>")
                                   or k == scale)
        assert len(dates) == 6, scale
        assert ((dates >= x_lo) & (dates <= x_hi)).all(), (scale, x_lo, x_hi, dates)
