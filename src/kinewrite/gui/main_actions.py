"""The main window's menus and the commands behind them: clinical entries into a session, the
progress report, the study export, calibration, the tablet test and About.

:class:`MainWindowActions` is mixed into :class:`~kinewrite.gui.main_window.MainWindow`,
which owns the study, the patient list and the views these commands work on: it provides
``study_dir``, ``patient``, ``mapping``, ``record`` (the
:class:`~kinewrite.gui.workflow.RecordWorkflow`), ``progress`` (the
:class:`~kinewrite.gui.progress.ProgressView`), ``latest_session()`` and ``choose_study()``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QDialog, QFileDialog

from ..errors import InputError
from ..storage.writer import SessionWriter
from .clinical import AddsDialog, TreatmentEventDialog, WcrsDialog
from .settings import load_settings, save_screen_mapping
from .text import show_message

__all__ = ["MainWindowActions"]


class MainWindowActions:
    """The menus of the main window (File, Clinical, Settings, Tools, Help) and their
    commands; a mixin of :class:`~kinewrite.gui.main_window.MainWindow` (a QMainWindow)."""

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        act = QAction("&Open study…", self)
        act.setShortcut(QKeySequence.StandardKey.Open)
        act.triggered.connect(self.choose_study)
        file_menu.addAction(act)
        file_menu.addSeparator()
        act = QAction("&Progress report of the patient…", self)
        act.setShortcut(QKeySequence("Ctrl+P"))
        act.triggered.connect(lambda: self.write_report())
        file_menu.addAction(act)
        act = QAction("&Export the study's features…", self)
        act.setShortcut(QKeySequence("Ctrl+E"))
        act.triggered.connect(lambda: self.export_study())
        file_menu.addAction(act)
        file_menu.addSeparator()
        act = QAction("&Quit", self)
        act.setShortcut(QKeySequence.StandardKey.Quit)
        act.triggered.connect(self.close)
        file_menu.addAction(act)
        session_menu = self.menuBar().addMenu("&Clinical")
        for label, make in (("ADDS…", AddsDialog), ("WCRS…", WcrsDialog)):
            act = QAction(label, self)
            act.triggered.connect(lambda _c=False, make=make: self.add_clinical(make(self)))
            session_menu.addAction(act)
        act = QAction("Treatment event…", self)
        act.triggered.connect(self.add_event)
        session_menu.addAction(act)
        settings = self.menuBar().addMenu("&Settings")
        act = QAction("&Calibration (screen size, pen pressure)…", self)
        act.triggered.connect(self.calibrate)
        settings.addAction(act)
        tools = self.menuBar().addMenu("&Tools")
        act = QAction("&Test tablet…", self)
        act.triggered.connect(lambda _checked=False: self.test_tablet())
        tools.addAction(act)
        help_menu = self.menuBar().addMenu("&Help")
        act = QAction("&About kinewrite", self)
        act.triggered.connect(self.show_about)
        help_menu.addAction(act)

    # ------------------------------------------------------------------ clinical, tools
    def _writer_for_entries(self) -> SessionWriter | None:
        """The recording session if one is open, else the patient's latest session."""
        if self.record.writer is not None:
            return self.record.writer
        path = self.latest_session()
        if path is None:
            show_message(self, "information", "No session", "Record a session of the patient "
                         "first: scales and events are stored in a session.")
            return None
        try:
            writer = SessionWriter.open(path)
        except (OSError, InputError) as exc:  # busy, disk, permissions, not repairable
            show_message(self, "warning", "Session not writable", str(exc).splitlines()[0])
            return None
        if writer.repaired:
            self.statusBar().showMessage(writer.repaired)
        return writer

    def add_clinical(self, dialog: AddsDialog | WcrsDialog) -> None:
        """An ADDS or WCRS entry, into the open session or the patient's latest one."""
        self._store_entry(dialog, lambda w: w.add_clinical(**dialog.clinical_entry()))

    def add_event(self) -> None:
        """A treatment event, into the open session or the patient's latest one."""
        dialog = TreatmentEventDialog(self)
        self._store_entry(dialog, lambda w: w.add_event(**dialog.event_kwargs()))

    def _store_entry(self, dialog: QDialog, store) -> None:
        writer = self._writer_for_entries()
        if writer is None:
            return
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                store(writer)
                self.progress.set_patient(self.patient)
        finally:  # a session opened for the entry is closed (its lock released) either way
            if writer is not self.record.writer:
                writer.close()

    def write_report(self, out: Path | None = None) -> Path | None:
        """Write the selected patient's progress report (HTML, or PDF by its name); asks
        for the file when `out` is None. Returns the file written, None if not."""
        if self.study_dir is None or not self.patient:
            show_message(self, "information", "No patient", "Choose a patient first.")
            return None
        if out is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Progress report", str(Path.home() / f"report-{self.patient}.pdf"),
                "PDF (*.pdf);;HTML (*.html)")
            if not name:
                return None
            out = Path(name)
        from ..progress import ProgressError
        from .report_writer import build_report

        try:
            return build_report(self.study_dir, self.patient, out)
        except (ProgressError, OSError) as exc:
            show_message(self, "warning", "Report not written", str(exc).splitlines()[0])
            return None

    def export_study(self, out: Path | None = None) -> bool:
        """Export the study's features, one row per trial (``kinewrite export`` in a child
        process, so the app stays responsive to the end); asks for the file if None."""
        if self.study_dir is None:
            show_message(self, "information", "No study", "Open a study folder first.")
            return False
        if out is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Export the study's features", str(Path.home() / "features.csv"),
                "CSV (*.csv);;Parquet (*.parquet)")
            if not name:
                return False
            out = Path(name)
        import subprocess

        from PyQt6.QtCore import Qt
        from PyQt6.QtWidgets import QApplication

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            run = subprocess.run([sys.executable, "-m", "kinewrite", "export",
                                  str(self.study_dir), "-o", str(out)],
                                 capture_output=True, text=True, timeout=3600)
        finally:
            QApplication.restoreOverrideCursor()
        if run.returncode != 0:
            lines = run.stderr.strip().splitlines()
            show_message(self, "warning", "Export not written",
                         lines[-1] if lines else "the export failed")
            return False
        self.statusBar().showMessage(f"Features exported to {out}")
        return True

    def show_about(self) -> None:
        from .._version import __version__

        show_message(self, "information", "About kinewrite",
                     f"kinewrite {__version__}: handwriting kinematics for writer's cramp.\n"
                     "Every measure, its source and its healthy range: docs/science.md of "
                     "the kinewrite project. Open source; patients are identified by a code "
                     "only.")

    def calibrate(self) -> None:
        from .calibration import CalibrationDialog

        # the pad is on the dialog's pressure page: a window of its own would be blocked by
        # the modal dialog and never receive the pen
        dialog = CalibrationDialog(self, with_pad=True)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.mapping = dialog.mapping()
        save_screen_mapping(self.mapping)
        self.record.mapping = self.mapping
        self.record.panel.mapping = self.mapping
        self.statusBar().showMessage(f"Calibration: {self.mapping.source}")

    def test_tablet(self, seconds: float | None = None) -> None:
        """Tools > Test tablet: the tablet check dialog (a recording in progress is not
        disturbed: the dialog has its own canvas and saves nothing).

        The test lasts `seconds`, else the setting ``tablet_check_seconds``, else 10 s."""
        from .tablet_check import TabletCheckDialog

        if seconds is None:
            try:
                seconds = float(load_settings().get("tablet_check_seconds", 10.0))
            except (TypeError, ValueError):
                seconds = 10.0
            if not 0 < seconds < 3600:
                seconds = 10.0
        dialog = TabletCheckDialog(self, seconds=seconds)
        dialog.reported.connect(lambda r: self.statusBar().showMessage(f"Tablet: {r.verdict}"))
        self.tablet_check: TabletCheckDialog | None = dialog
        dialog.exec()

