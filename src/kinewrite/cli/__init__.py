"""The ``kinewrite`` command line: one module per command (or family of commands).

============  ==========================================================================
module        commands
============  ==========================================================================
parser        the parser and :func:`main` (exit codes 0 done, 2 bad input, 1 internal)
common        exit codes, the one-line error, output and free-disk checks, shared types
analyze       ``analyze``, ``features``
simulate      ``simulate`` (CSV, or ``--realtime`` into a session)
demo          ``demo`` (its printed tables: ``demo_text``)
import_       ``import`` (SVC, CSV, InkML, HWR, BIDS)
export        ``export`` (trial table, strokes, BIDS)
report        ``report`` (HTML or PDF)
record        ``record`` (Qt)
gui           ``gui``, ``tablet-check`` and what the Qt commands share (Qt)
============  ==========================================================================

Qt is imported only inside the commands that open a window or draw plots, so importing this
package (and running ``analyze``, ``export``, ``import``) never loads it.
"""

from .parser import build_parser, main

__all__ = ["build_parser", "main"]
