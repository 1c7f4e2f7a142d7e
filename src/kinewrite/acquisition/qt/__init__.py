"""The Qt side of acquisition: the tablet canvas (``QTabletEvent`` in, samples out), the
application set-up that keeps every tablet event (:mod:`.qt_app`) and the feedback tone
(:mod:`.audio`). Only :mod:`kinewrite.gui` and the commands that open a window import it;
the rest of :mod:`kinewrite.acquisition` is Qt-free (docs/architecture.md §4)."""
