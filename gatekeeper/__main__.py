# gatekeeper/__main__.py: lets `python -m gatekeeper` run the CLI.
from __future__ import annotations

from gatekeeper.cli import exit_process, main

exit_process(main())
