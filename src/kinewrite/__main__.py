"""``python -m kinewrite``: the same as the ``kinewrite`` command."""

import sys

from .cli import main

sys.exit(main())
