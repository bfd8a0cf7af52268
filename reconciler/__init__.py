"""reconciler: CRM-as-code for Pipedrive."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line tool at import time when rich, click and pygments are
# installed, as they are for reconciler's CLI: ~25 ms of every command's start-up (pygments'
# lexers, rich's syntax and progress) for a tool reconciler never runs. Marked absent, httpx
# leaves it out (httpx.main would then ask for httpx[cli]); nothing else in httpx uses it.
sys.modules.setdefault("httpx._main", None)
