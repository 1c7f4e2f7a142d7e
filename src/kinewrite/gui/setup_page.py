"""The record workflow's first page: the patient's code (never a name), the protocol, the
input (tablet, or the mouse as a marked fallback), the tablet's nominal rate, the auditory
pressure feedback (mode and threshold, saved with each trial) and the session metadata of
docs/science.md §8. What is required and what is carried over from the previous visit is
decided in :mod:`kinewrite.acquisition.visit`.
"""

from __future__ import annotations

import sys
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..acquisition.feedback import FEEDBACK_MODES, PressureFeedback
from ..acquisition.tasks import Protocol, available_protocols, default_protocol
from ..acquisition.visit import carried_metadata, missing_fields
from .metadata import PatientCodeEdit, SessionMetadataForm
from .text import PlainLabel

__all__ = ["SetupPage"]


class SetupPage(QWidget):
    """Patient code, protocol, input, feedback and session metadata."""

    startRequested = pyqtSignal()
    resumeRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code_edit = PatientCodeEdit()
        self.protocol_combo = QComboBox()
        for protocol in _protocols():
            self.protocol_combo.addItem(protocol.label, protocol)
        self.tablet_radio = QRadioButton("Tablet (pen pressure, tilt)")
        self.mouse_radio = QRadioButton("Mouse (fallback: no pressure, marked in the file)")
        self.tablet_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.tablet_radio)
        group.addButton(self.mouse_radio)
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setRange(0, 2000)
        self.rate_spin.setDecimals(0)
        self.rate_spin.setSuffix(" Hz")
        self.rate_spin.setSpecialValueText("unknown")
        self.rate_spin.setValue(200)
        self.rate_spin.setToolTip("The tablet's nominal sample rate (its data sheet); the "
                                  "rate check after each trial compares against it")
        self.feedback_combo = QComboBox()
        labels = {"off": "Off", "tone": "Tone (pitch rises with pressure)",
                  "clicks": "Clicks (rate rises with pressure)"}
        for mode in FEEDBACK_MODES:
            self.feedback_combo.addItem(labels.get(mode, mode), mode)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 0.99)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.30)
        self.threshold_spin.setToolTip("Pen pressure (fraction of the tablet's range) above "
                                       "which the patient hears the feedback")
        self.metadata_form = SessionMetadataForm()
        self.start_button = QPushButton("Start session")
        self.start_button.setDefault(True)
        self.start_button.setEnabled(False)
        self.required_label = PlainLabel()  # what is missing before a session can start
        self.required_label.setWordWrap(True)
        self.required_label.setStyleSheet("color: #b00020;")
        self.prefill_label = PlainLabel()  # where the metadata shown came from
        self.prefill_label.setWordWrap(True)
        self.prefill_label.hide()
        self.code_edit.validityChanged.connect(lambda _v: self._update_start())
        self.metadata_form.changed.connect(self._update_start)
        self.start_button.clicked.connect(self.startRequested)
        self.resume_label = PlainLabel()
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton("Continue the interrupted visit")
        self.resume_button.setToolTip("Record the remaining tasks into today's session that "
                                      "was interrupted (its trials are kept as they are)")
        self.resume_button.clicked.connect(self.resumeRequested)
        self.show_interrupted(None)

        test = QFormLayout()
        test.addRow("Patient code", self.code_edit)
        test.addRow("Protocol", self.protocol_combo)
        inputs = QVBoxLayout()
        inputs.addWidget(self.tablet_radio)
        inputs.addWidget(self.mouse_radio)
        test.addRow("Input", inputs)
        test.addRow("Tablet rate", self.rate_spin)
        test.addRow("Pressure feedback", self.feedback_combo)
        test.addRow("Feedback threshold", self.threshold_spin)
        left = QGroupBox("Writing test")
        left.setLayout(test)
        meta_box = QGroupBox("About this visit")
        scroll = QScrollArea()
        scroll.setWidget(self.metadata_form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        box = QVBoxLayout(meta_box)
        box.addWidget(self.prefill_label)
        box.addWidget(scroll)
        row = QHBoxLayout()
        col = QVBoxLayout()
        col.addWidget(left)
        col.addStretch(1)
        col.addWidget(self.resume_label)
        col.addWidget(self.resume_button)
        col.addWidget(self.required_label)
        col.addWidget(self.start_button)
        row.addLayout(col, 2)
        row.addWidget(meta_box, 3)
        self.setLayout(row)

    def missing(self) -> list[str]:
        """What must still be filled before the session can start (plain labels)."""
        return missing_fields(self.code_edit.is_valid(), self.metadata_form.values())

    def _update_start(self) -> None:
        missing = self.missing()
        self.start_button.setEnabled(not missing)
        self.required_label.setText("Required: " + ", ".join(missing) if missing else "")
        self.required_label.setVisible(bool(missing))

    def prefill(self, metadata: dict[str, str], source: str) -> None:
        """Fill the carried-over fields from a previous visit's `metadata` (the visit's own
        notes and protocol are left empty); `source` says which visit, shown above."""
        self.metadata_form.set_values(carried_metadata(metadata))
        self.prefill_label.setText(f"Filled in from {source}: check what changed.")
        self.prefill_label.setVisible(True)
        self._update_start()

    def show_interrupted(self, text: str | None) -> None:
        """Offer to continue an interrupted visit (`text` says which), or hide the offer."""
        self.resume_label.setText(text or "")
        self.resume_label.setVisible(bool(text))
        self.resume_button.setVisible(bool(text))

    @property
    def protocol(self) -> Protocol:
        return self.protocol_combo.currentData()

    @property
    def input_kind(self) -> str:
        return "mouse" if self.mouse_radio.isChecked() else "tablet"

    @property
    def nominal_rate_hz(self) -> float:
        v = self.rate_spin.value()
        return v if v > 0 and self.input_kind == "tablet" else float("nan")

    def feedback(self, cal: Any = None) -> PressureFeedback | None:
        mode = self.feedback_combo.currentData()
        if mode == "off":
            return None
        return PressureFeedback(mode, threshold=self.threshold_spin.value(), calibration=cal)


def _protocols() -> list[Protocol]:
    """Shipped and user protocols; a broken user file is reported, never fatal."""
    errors: list[str] = []
    found = list(available_protocols(errors=errors))
    for message in errors:
        print(f"kinewrite: {message}", file=sys.stderr)
    return found or [default_protocol()]
