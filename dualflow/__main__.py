"""`python -m dualflow ...`: the same command line as `dualflow ...`."""

import sys

from .experiments.cli import main

sys.exit(main())
