"""Text from a file is shown as text, never read as markup.

Qt guesses whether a label's text is rich text (``Qt.TextFormat.AutoText``: something that
looks like a tag before the first line break, see ``Qt.mightBeRichText``); message boxes and
tooltips guess the same way. pyqtgraph's titles, axis labels, legends and ``LabelItem`` s
always take HTML. So a session note, an operator, a task title from a protocol file, an
event's product, a stored analysis error or a folder name such as ``<img src=x>``,
``<a href=...>`` or ``<h1>`` would be drawn as an image, a link or a heading. Every place of
the GUI that shows such text goes through this module:

- :class:`PlainLabel`: a ``QLabel`` whose text is always plain (the default label here);
- :func:`rich_label` for the few labels that use markup on purpose, with every value put
  into it through :func:`escape`;
- :func:`escape` for pyqtgraph's HTML places (titles, axis labels, legend entries);
- :func:`plain_tooltip` for a tooltip whose text comes from a file;
- :func:`show_message` for a message box (plain text);
- :func:`format_free` for a pyqtgraph ``InfLineLabel``, which runs :meth:`str.format` on its
  text (a brace in an event's notes would raise there).

``pyqtgraph.TextItem(text)`` and ``setText`` are plain text already (``setPlainText``).
"""

from __future__ import annotations

import html

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QMessageBox, QWidget

__all__ = ["PlainLabel", "escape", "format_free", "plain_tooltip", "rich_label",
           "show_message"]


def escape(text: object) -> str:
    """`text` as HTML that shows exactly its characters (``<`` as ``&lt;`` ...).

    Examples
    --------
    >>> escape('<img src="x"> & co')
    '&lt;img src=&quot;x&quot;&gt; &amp; co'
    """
    return html.escape(str(text), quote=True)


class PlainLabel(QLabel):
    """A ``QLabel`` that shows its text as plain text, whatever the text holds.

    Parameters
    ----------
    text : str, optional
    parent : QWidget, optional
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(str(text))


def rich_label(markup: str = "", parent: QWidget | None = None) -> QLabel:
    """A ``QLabel`` of rich text on purpose: the caller builds `markup` with every value
    from a file put through :func:`escape`."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(markup)
    return label


def plain_tooltip(text: str) -> str:
    """A tooltip that Qt shows as exactly `text`.

    Qt renders a tooltip as rich text when it looks like markup; such a text is escaped and
    wrapped in a paragraph that keeps its line breaks and spaces. Other texts are returned
    unchanged.

    Examples
    --------
    >>> plain_tooltip("no tremor detected")
    'no tremor detected'
    >>> plain_tooltip("<b>x</b>")
    "<p style='white-space:pre-wrap'>&lt;b&gt;x&lt;/b&gt;</p>"
    """
    text = str(text)
    if "<" not in text and "&" not in text:
        return text
    return f"<p style='white-space:pre-wrap'>{escape(text)}</p>"


def format_free(text: str) -> str:
    """`text` for a pyqtgraph ``InfLineLabel``, which shows ``text.format(value=...)``:
    braces doubled, so they are shown rather than read as fields.

    Examples
    --------
    >>> format_free("dose {x}")
    'dose {{x}}'
    """
    return str(text).replace("{", "{{").replace("}", "}}")


_ICONS = {"information": QMessageBox.Icon.Information, "warning": QMessageBox.Icon.Warning,
          "critical": QMessageBox.Icon.Critical}


def show_message(parent: QWidget | None, kind: str, title: str, text: str) -> None:
    """A modal message box (``kind``: information, warning or critical) of plain `text`.

    The static ``QMessageBox.warning`` and friends guess the format of their text, so a
    file or folder name in it could be read as markup; this one never does.
    """
    box = QMessageBox(_ICONS[kind], str(title), str(text), QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
