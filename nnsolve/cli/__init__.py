"""The command line: thin click commands that wire problem -> solution -> renderer.

Only click is imported at start-up; numpy, yaml and rich are imported by the commands that
use them, so `--help` and `--version` are instant and `--json` never loads rich.
Each command lives in its own module; main.py holds the group and turns library errors
(NnsolveError) into one line on stderr and exit status 2.
"""

from .main import cli, main

__all__ = ["cli", "main"]
