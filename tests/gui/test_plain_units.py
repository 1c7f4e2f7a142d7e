"""Names and units as a reader sees them: counts as whole numbers, no snake_case labels, no
"ratio" on a count's axis."""

from __future__ import annotations

import re

import pyqtgraph as pg

from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.analysis.features import extract_features
from kinewrite.gui.feature_table import FeatureTable, shown_label, shown_unit
from kinewrite.gui.plots import label_axis
from kinewrite.simulate import simulate_trial


def test_feature_table_counts_labels_and_units(qtbot) -> None:
    make_application()
    rec = simulate_trial("lines", 7.0, seed=2, rate_hz=200.0).recording
    features = extract_features(rec, task="lines")
    assert features["pen_lifts"] >= 8  # one lift between lines
    table = FeatureTable()
    qtbot.addWidget(table)
    table.set_features(features, "lines")
    shown = {table.item(i, 0).text(): (table.item(i, 1).text(), table.item(i, 2).text())
             for i in range(table.rowCount())}
    assert not [label for label in shown if "_" in label], list(shown)
    value, unit = shown[shown_label("pen_lifts")]
    assert value == f"{features['pen_lifts']:.0f}" and "." not in value and unit == ""
    assert shown[shown_label("pressure_mean")][1] == "fraction of range"
    assert shown[shown_label("speed_mean_mm_s")][1] == "mm/s"
    assert shown_unit("spiral_zero_crossing_rate") == "per turn"


def test_a_count_axis_is_not_labelled_ratio(qtbot) -> None:
    make_application()
    plot = pg.PlotItem()
    label_axis(plot, "left", "pen_lifts", "1")
    text = plot.getAxis("left").labelText
    assert text == "pen_lifts" and "ratio" not in text
    label_axis(plot, "left", "speed", "mm/s")
    assert re.fullmatch(r"speed \(mm/s\)", plot.getAxis("left").labelText)
