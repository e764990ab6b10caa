"""``python -m plaint`` is the ``plaint`` command."""

from plaint.workers.cli import main

raise SystemExit(main())
