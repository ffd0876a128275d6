"""`python -m server` is the `payouts` command."""

import sys

from server.cli import main

sys.exit(main())
