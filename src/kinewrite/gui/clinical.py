"""Dialogs for clinical scales (ADDS, WCRS) and treatment events (PyQt6).

Each dialog shows the items of :mod:`kinewrite.clinical`, computes the score live,
validates on OK (the dialog stays open and says what is wrong) and hands back the keyword
arguments of :class:`~kinewrite.storage.writer.SessionWriter`'s method::

    dlg = AddsDialog(parent)
    if dlg.exec():
        writer.add_clinical(**dlg.clinical_entry())   # or save_clinical(writer, dlg)

The methods are not called ``result()``: that name is :meth:`QDialog.result`, the dialog's
accepted/rejected code, and shadowing it would break code that asks for it.

The parts: :mod:`~kinewrite.gui.clinical_base` (the frame every scale dialog shares),
:mod:`~kinewrite.gui.clinical_scales` (ADDS, WCRS), :mod:`~kinewrite.gui.clinical_event`
(treatment events); this module re-exports them and stores an accepted dialog's entry.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog

from ..storage.writer import SessionWriter
from .clinical_base import NOT_SCORED
from .clinical_event import TreatmentEventDialog
from .clinical_scales import AddsDialog, WcrsDialog

__all__ = ["NOT_SCORED", "AddsDialog", "TreatmentEventDialog", "WcrsDialog", "save_clinical"]


def save_clinical(writer: SessionWriter, dialog: QDialog) -> float | None:
    """Store an accepted dialog's entry; returns the scale score (None for an event)."""
    if isinstance(dialog, AddsDialog | WcrsDialog):
        return writer.add_clinical(**dialog.clinical_entry())
    if isinstance(dialog, TreatmentEventDialog):
        writer.add_event(**dialog.event_kwargs())
        return None
    raise TypeError(f"not a clinical dialog: {type(dialog).__name__}")
