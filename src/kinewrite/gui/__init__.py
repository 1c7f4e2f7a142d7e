"""The therapist app (PyQt6 + pyqtgraph): record, review, progress.

Everything Qt lives here and in the Qt modules of :mod:`kinewrite.acquisition`; the
analysis and storage core never imports Qt (``tests/test_qt_free.py`` checks it).
"""
