"""Session metadata form and the patient-code field (PyQt6).

:class:`SessionMetadataForm` edits exactly :data:`kinewrite.clinical.metadata.SESSION_FIELDS`
(docs/science.md §8) with fixed choices where the science has them
(:data:`kinewrite.clinical.metadata.METADATA_CHOICES`); :class:`PatientCodeEdit` takes the one
identity a session holds, a pseudonymous code, and says inline why a text is not one. The
choices, labels and checks live in the Qt-free :mod:`kinewrite.clinical`.
"""

from __future__ import annotations

from collections.abc import Mapping

from PyQt6.QtCore import QDate, Qt, pyqtSignal
from PyQt6.QtGui import QResizeEvent, QValidator
from PyQt6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..clinical.events import TOXIN_MUSCLES
from ..clinical.metadata import METADATA_CHOICES, METADATA_LABELS, SESSION_FIELDS
from ..clinical.pseudonym import name_like_reason
from ..errors import InvalidCodeError
from ..storage.codes import validate_patient_code
from .text import PlainLabel

__all__ = [
    "PatientCodeEdit",
    "PatientCodeValidator",
    "SessionMetadataForm",
    "WrappedLabel",
    "make_date_edit",
]

#: Earliest date the date fields accept; in an optional field it means "not recorded".
_NO_DATE = QDate(1970, 1, 1)
_NOT_RECORDED = "not recorded"
_ERROR_STYLE = "color: #b00020;"
_WARNING_STYLE = "color: #8a5a00;"
_HINT_STYLE = "color: #505050;"


def make_date_edit(optional: bool = False) -> QDateEdit:
    """A calendar date field, ISO display, not after today.

    With ``optional=True`` its lowest date shows "not recorded" and stands for no date; the
    field starts empty. Otherwise it starts at today.
    """
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(_NO_DATE)
    edit.setMaximumDate(QDate.currentDate())
    if optional:
        edit.setSpecialValueText(_NOT_RECORDED)
        edit.setDate(_NO_DATE)
    else:
        edit.setDate(QDate.currentDate())
    return edit


def date_text(edit: QDateEdit) -> str:
    """The ISO date of a field from :func:`make_date_edit`, "" when "not recorded"."""
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return ""
    return edit.date().toString("yyyy-MM-dd")


def set_date_text(edit: QDateEdit, text: str) -> None:
    """Show an ISO date (or "" for none); raises ValueError on a date that is not ISO."""
    if not text:
        edit.setDate(edit.minimumDate())
        return
    d = QDate.fromString(text, "yyyy-MM-dd")
    if not d.isValid():
        raise ValueError(f"date {text!r} is not a valid date (YYYY-MM-DD)")
    if d > edit.maximumDate():
        edit.setMaximumDate(d)  # show what is stored rather than clamp it
    edit.setDate(d)


class WrappedLabel(PlainLabel):
    """A word-wrapped plain-text label that claims the height its text needs at its current
    width.

    Qt does not grow a shown window for a wrapped label whose text got longer (layouts do
    not pass height-for-width up to a top-level window); a minimum height does.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        need = self.heightForWidth(max(self.width(), 1))
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)


class PatientCodeValidator(QValidator):
    """Accepts what :func:`~kinewrite.storage.codes.validate_patient_code` accepts.

    Anything else is *Intermediate*, never *Invalid*: the user may keep typing and the field
    explains the problem instead of swallowing keys.
    """

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            validate_patient_code(text)
        except InvalidCodeError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class PatientCodeEdit(QWidget):
    """A patient-code field: "a code, never a name", the reason inline when refused, and a
    soft warning when an accepted code looks like a name or a date of birth
    (:func:`~kinewrite.clinical.pseudonym.name_like_reason`, the rule the CLI warns with too).
    The message is plain text (it may quote what was typed).

    Signals
    -------
    validityChanged(bool)
        Emitted when the text turns valid or invalid.
    """

    validityChanged = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText("e.g. WC-017")
        self.line_edit.setValidator(PatientCodeValidator(self.line_edit))
        self.line_edit.setMaxLength(64)
        self.line_edit.setToolTip("1-64 letters, digits, '_', '-' or '.', starting with a "
                                  "letter or digit; never a name")
        self.line_edit.setAccessibleName("Patient code")
        self.line_edit.setMinimumWidth(280)
        hint = PlainLabel("A code such as WC-017, never a name")
        hint.setStyleSheet(_HINT_STYLE)
        hint.setWordWrap(True)
        self.message = WrappedLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.line_edit)
        lay.addWidget(hint)
        lay.addWidget(self.message)
        self._valid = False
        self.line_edit.textChanged.connect(self._update)

    def text(self) -> str:
        return self.line_edit.text()

    def setText(self, text: str) -> None:
        self.line_edit.setText(text)

    def is_valid(self) -> bool:
        return self._valid

    def code(self) -> str | None:
        """The code if valid, else None."""
        return self.line_edit.text() if self._valid else None

    def warning(self) -> str | None:
        """The soft name-like warning shown for a valid code, if any."""
        return name_like_reason(self.text()) if self._valid else None

    def _update(self, text: str) -> None:
        valid = True
        try:
            validate_patient_code(text)
        except InvalidCodeError as exc:
            valid = False
            if text:
                reason = str(exc).split(" refused: ", 1)[-1]
                self._show(f"Not a code: {reason}", _ERROR_STYLE)
            else:
                self.message.hide()
        else:
            warn = name_like_reason(text)
            if warn:
                self._show(f"Check: {warn}", _WARNING_STYLE)
            else:
                self.message.hide()
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    def _show(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)
        self.message.show()


class SessionMetadataForm(QWidget):
    """Edits the session metadata of docs/science.md §8 (:data:`SESSION_FIELDS`).

    Each field with fixed choices is a combo box whose first entry, "not recorded", means
    the field is left out; the last toxin date is a calendar field that may also be "not
    recorded". Values from a file that are not among the choices are kept and shown as
    extra entries, never dropped.

    Signals
    -------
    changed()
        Any field was edited.
    """

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combos: dict[str, QComboBox] = {}
        self.lines: dict[str, QLineEdit] = {}
        for key, choices in METADATA_CHOICES.items():
            combo = QComboBox()
            combo.addItem(_NOT_RECORDED, "")
            for c in choices:
                combo.addItem(c, c)
            combo.setAccessibleName(METADATA_LABELS[key])
            combo.currentIndexChanged.connect(self.changed)
            self.combos[key] = combo
        self.last_botox_date = make_date_edit(optional=True)
        self.last_botox_date.setAccessibleName(METADATA_LABELS["last_botox_date"])
        self.last_botox_date.dateChanged.connect(self.changed)
        for key in ("last_botox_muscles", "device", "stylus", "paper_overlay", "operator",
                    "site", "protocol"):
            line = QLineEdit()
            line.setAccessibleName(METADATA_LABELS[key])
            line.textChanged.connect(self.changed)
            self.lines[key] = line
        self.lines["last_botox_muscles"].setPlaceholderText("e.g. flexor carpi radialis, ...")
        self.lines["device"].setPlaceholderText("e.g. Wacom Intuos Pro M")
        self.lines["operator"].setPlaceholderText("initials or staff code")
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName(METADATA_LABELS["notes"])
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.notes.fontMetrics().lineSpacing() * 4 + 12)
        self.notes.textChanged.connect(self.changed)

        muscles_row = QHBoxLayout()
        muscles_row.setContentsMargins(0, 0, 0, 0)
        muscles_row.addWidget(self.lines["last_botox_muscles"], 1)
        pick = QToolButton()
        pick.setText("Add…")
        pick.setToolTip("Add a muscle from the list of muscles commonly injected")
        pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(pick)
        for m in TOXIN_MUSCLES:
            menu.addAction(m, lambda m=m: self._append_muscle(m))
        pick.setMenu(menu)
        muscles_row.addWidget(pick)

        patient = QGroupBox("Patient and writing")
        pf = _form(patient)
        for key in ("hand", "handedness", "wc_subtype", "pen_grip", "tremor_present", "eyes"):
            pf.addRow(METADATA_LABELS[key], self.combos[key])
        pf.addRow(METADATA_LABELS["last_botox_date"], self.last_botox_date)
        pf.addRow(METADATA_LABELS["last_botox_muscles"], muscles_row)
        setup = QGroupBox("Setup")
        sf = _form(setup)
        for key in ("device", "stylus", "paper_overlay", "operator", "site", "protocol"):
            sf.addRow(METADATA_LABELS[key], self.lines[key])
        sf.addRow(METADATA_LABELS["notes"], self.notes)
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        lay.addWidget(patient)
        lay.addWidget(setup)
        lay.addStretch(1)

    # -- public API
    def values(self) -> dict[str, str]:
        """The non-empty fields, keys from :data:`SESSION_FIELDS` only."""
        out: dict[str, str] = {}
        for key, combo in self.combos.items():
            out[key] = str(combo.currentData() or "")
        out["last_botox_date"] = date_text(self.last_botox_date)
        for key, line in self.lines.items():
            out[key] = line.text().strip()
        out["notes"] = self.notes.toPlainText().strip()
        return {k: out[k] for k in SESSION_FIELDS if out.get(k)}

    def set_values(self, values: Mapping[str, str]) -> None:
        """Show stored metadata; fields not given are cleared. Unknown keys raise ValueError."""
        unknown = sorted(set(values) - set(SESSION_FIELDS))
        if unknown:
            raise ValueError(f"unknown session field(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(SESSION_FIELDS)}")
        for key, combo in self.combos.items():
            v = str(values.get(key, "") or "")
            i = combo.findData(v)
            if i < 0:  # a value from elsewhere: keep it visible rather than drop it
                combo.addItem(v, v)
                i = combo.count() - 1
            combo.setCurrentIndex(i)
        set_date_text(self.last_botox_date, str(values.get("last_botox_date", "") or ""))
        for key, line in self.lines.items():
            line.setText(str(values.get(key, "") or ""))
            line.setCursorPosition(0)  # show the start of a long value
        self.notes.setPlainText(str(values.get("notes", "") or ""))

    def _append_muscle(self, muscle: str) -> None:
        line = self.lines["last_botox_muscles"]
        names = [m.strip() for m in line.text().split(",") if m.strip()]
        if muscle not in names:
            names.append(muscle)
        line.setText(", ".join(names))
        line.setCursorPosition(0)


def _form(parent: QWidget) -> QFormLayout:
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return form
