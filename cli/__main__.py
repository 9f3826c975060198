"""`python -m cli`: the `driftline` command without its console script."""

import sys

from cli.main import main

sys.exit(main())
