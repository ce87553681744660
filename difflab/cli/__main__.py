"""``python -m difflab.cli``: the same entry point as the ``difflab`` script."""

import sys

from difflab.cli.entry import main

sys.exit(main())
