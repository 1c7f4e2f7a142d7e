"""``python -m kinewrite.cli``: the same as the ``kinewrite`` command."""

import sys

from . import main

sys.exit(main())
