"""``python -m ulearn_host.cli``: the ``ulearn`` command."""
import sys

from . import main

sys.exit(main())
