"""Every exit code of ``tote-track``, in one place (design.md's table).

``watch`` (and the tracker without a terminal) decide 0, 1 and 3 from what the order is,
never from which states a poll happened to see.
"""

from __future__ import annotations

OK = 0
"""Done: the target was reached, the order completed, or the screen was closed."""
ENDED_OTHERWISE = 1
"""The order ended another way (failed, voided, cancelled), or the target is out of reach."""
SANDBOX_FAILED = 1
"""``demo``: the built-in sandbox (or its demo orders) could not start."""
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
