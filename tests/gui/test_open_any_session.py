"""Review opens any session of the patient (the session picker), and a click on a point of
the progress view opens that point's trial in Review; offscreen, real widgets and clicks."""

import shutil
from pathlib import Path

import pyqtgraph as pg
from PyQt6.QtCore import QPoint, Qt

from kinewrite.acquisition.calibration import ScreenMapping
from kinewrite.acquisition.qt.qt_app import make_application
from kinewrite.gui.main_window import MainWindow
from kinewrite.gui.plots import epoch_seconds
from kinewrite.gui.progress import ProgressView
from kinewrite.gui.review import ReviewView
from kinewrite.storage.study import study_summaries

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "study"


def _sessions() -> list[Path]:
    summaries, _ = study_summaries(SAMPLE, "SIM-001", brief=True, use_index=False)
    return [s.path for s in summaries]


def test_session_picker_lists_every_session_and_opens_the_chosen_one(qtbot):
    paths = _sessions()
    view = ReviewView()
    qtbot.addWidget(view)
    view.load(paths[-1])
    assert [p.resolve() for p in view.sessions()] == [p.resolve() for p in paths]
    assert view.session_box.count() == 6
    assert view.session_box.currentIndex() == 5
    assert view.session_box.itemText(0).startswith("1: 2025-09-08")
    view.session_box.setCurrentIndex(1)  # as a click in the list does
    assert view.trial is not None
    assert "2025-10-06" in view.info.text()
    assert view.trial_box.count() == 7  # the sample protocol: 7 trials a visit
    # the trial list follows: the session's last complete trial is shown
    assert view.trial.name == "007" and view.trial.task == "lines"
    view.trial_box.setCurrentIndex(0)
    assert view.trial.task == "spiral" and "2025-10-06" in view.info.text()


def _click_point(qtbot, view: ProgressView, name: str, index: int) -> None:
    plot = view.feature_plots[name]
    x, y = view.progress.series(view.task, name)
    scene = plot.vb.mapViewToScene(pg.Point(float(epoch_seconds(x)[index]), float(y[index])))
    pos = view.plots.mapFromScene(scene)
    qtbot.mouseClick(view.plots.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(round(pos.x()), round(pos.y())))


def test_a_click_on_a_progress_point_requests_its_trial(qtbot):
    view = ProgressView(SAMPLE, "SIM-001")
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    qtbot.waitExposed(view)
    view.set_task("sentence")
    name = view.chosen_features()[0]
    paths = _sessions()
    for index in (0, 3):
        with qtbot.waitSignal(view.trialRequested, timeout=2000) as blocker:
            _click_point(qtbot, view, name, index)
        session_file, trial = blocker.args
        assert Path(session_file).resolve() == paths[index].resolve()
        # a visit's point is its last complete sentence trial: the 5th of every sample session
        # (guided spiral, free spiral, loops, then the sentence twice)
        assert trial == "005"
    # a click far from any point opens nothing
    with qtbot.assertNotEmitted(view.trialRequested):
        plot = view.feature_plots[name]
        corner = view.plots.mapFromScene(plot.vb.sceneBoundingRect().topLeft())
        qtbot.mouseClick(view.plots.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(round(corner.x()) + 3, round(corner.y()) + 3))


def test_main_window_progress_point_opens_the_trial_in_review(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KINEWRITE_CONFIG_DIR", str(tmp_path / "config"))
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    make_application()
    window = MainWindow(study, patient="SIM-001", mapping=ScreenMapping.from_dpi(96.0))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.show_view("progress")
    view = window.progress
    view.set_task("spiral_guided")
    name = view.chosen_features()[0]
    _click_point(qtbot, view, name, 2)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.review, timeout=3000)
    trial = window.review.trial
    assert trial is not None and trial.task == "spiral" and trial.name == "001"
    assert "2025-11-10" in window.review.info.text()
    assert window.review.session_box.currentIndex() == 2
