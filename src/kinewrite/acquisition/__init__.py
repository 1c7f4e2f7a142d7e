"""Acquisition: the Qt-free sample buffer and streams feeding the session writer.

Qt code (the tablet canvas) lives in its own modules here and is imported only by the GUI.
"""
