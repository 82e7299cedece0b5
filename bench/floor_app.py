"""The floor: the bare Textual app that also imports exactly the libraries the tracker's
first paint of an order needs: httpx and what it loads for its first request (httpcore, h11,
certifi, and anyio with its asyncio backend, which httpcore picks at the first request),
pydantic, and the API's models and client. ``startup.py`` checks that a first request loads
nothing more."""

import anyio._backends._asyncio  # noqa: F401
import certifi  # noqa: F401
import h11  # noqa: F401
import httpcore  # noqa: F401
import httpx  # noqa: F401
import pydantic  # noqa: F401

import tote_track.api.client
import tote_track.api.models  # noqa: F401
from bare_app import BareApp

if __name__ == "__main__":
    BareApp().run()
