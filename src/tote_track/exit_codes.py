"""Every exit code of ``tote-track``, in one place (design.md's table); ``run.run_command``
maps a command's failures to them.

``watch`` (and the tracker without a terminal) decide 0, 1 and 3 from what the order is,
never from which states a poll happened to see.
"""

from __future__ import annotations

OK = 0
"""Done: the target was reached, the order completed, or the screen was closed."""
ENDED_OTHERWISE = 1
"""The order ended another way (failed, voided, cancelled), or the target is out of reach."""
CHECKS_FAILED = 1
"""``conformance``: at least one check of the API against the guide failed."""
FAILED_TO_START = 1
"""``demo``, ``sandbox``, ``--serve``: a server could not start (the port is taken, a file
cannot be read), or the demo's orders could not be made."""
USAGE = 2
"""Bad arguments, an insecure base URL, no terminal for a screen."""
GAVE_UP = 3
"""Polling gave up: the stage's max duration passed without an end."""
API_ERROR = 4
"""An API or network error that did not recover (not found, token refused, TLS...)."""
INTERRUPTED = 130
"""Ctrl-C."""
PIPE_CLOSED = 141
"""The reader of stdout went away (``| head``), as a killed pipe would."""
