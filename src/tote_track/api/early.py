"""A program's first request, in flight while the program starts.

Over a real network a first request waits for round trips (the TLS handshake, then the
request itself) that start-up work could hide. :class:`EarlyCall` makes one call with a
:class:`ToteClient` of its own, on a thread with an event loop of its own, so that the wait
overlaps whatever the program does next (the tracker imports Textual and paints its frame):
OpenSSL and socket waits release the GIL.

The call takes the trusted CAs and the API's connection from a
:class:`~tote_track.api.warm.WarmConnection` (opened on its own thread): the handshakes
are under way before the client's libraries are even imported. :meth:`EarlyCall.start`
starts the thread and imports the client's libraries on the calling thread; it returns once
they are imported, so the request leaves before the program's next imports compete with
it. Its outcome (its result, or the error it raised, worded by the client as ever) comes
from :attr:`EarlyCall.outcome`. The thread's client is closed once the call is done (its
connection belonged to the thread's loop): the program's own client goes on as usual, with
the same trusted CAs (``EarlyCall.warm.trust``).

The client's first request needs neither pydantic nor the models: a call that returns an
answer unread (``ToteClient.get_order_reply``) leaves reading it to the program, after its
frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Generic, TypeVar

from tote_track.api.warm import WarmConnection

if TYPE_CHECKING:
    from tote_track.api.client import ToteClient

__all__ = ["EarlyCall"]

T = TypeVar("T")


class EarlyCall(Generic[T]):
    """``call`` made with a client of its own on a daemon thread (see the module docstring).

    The client has the default retries; a call that stands for a program's check says
    ``max_retries=0`` itself (a polling policy owns those waits).
    """

    def __init__(
        self,
        warm: WarmConnection,
        call: Callable[[ToteClient], Awaitable[T]],
        *,
        max_retries: int | None = None,
    ) -> None:
        """``max_retries``: the client's (None: its default)."""
        self.warm = warm
        self._max_retries = max_retries
        self.outcome: Future[T] = Future()
        """What ``call`` returned, or the error it raised."""
        self._call = call
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Future[T] | None = None
        self._thread = threading.Thread(target=self._run, name="tote-first-call", daemon=True)

    def start(self) -> EarlyCall[T]:
        """Start the call; returns once the client's libraries are imported."""
        self._thread.start()
        import tote_track.api.client  # noqa: F401 - while the connection opens

        return self

    def cancel(self) -> None:
        """Stop the call if it still runs (the program is quitting)."""
        self.warm.close()
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the call is over
                loop.call_soon_threadsafe(task.cancel)

    def _run(self) -> None:
        # Running: a waiter that gives up (a fetch replaced by another) cannot cancel it.
        self.outcome.set_running_or_notify_cancel()
        try:
            context = self.warm.trust.result()
        except Exception as error:  # InvalidConfigError: the program says it as ever
            self.outcome.set_exception(error)
            return
        try:
            result = asyncio.run(self._main(context))
        except BaseException as error:  # the call's own error, or its cancellation
            self.outcome.set_exception(error)
        else:
            self.outcome.set_result(result)

    async def _main(self, context: ssl.SSLContext | None) -> T:
        from tote_track.api.client import DEFAULT_MAX_RETRIES, ToteClient

        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        retries = DEFAULT_MAX_RETRIES if self._max_retries is None else self._max_retries
        async with ToteClient(
            self.warm.config, ssl_context=context, warm=self.warm, max_retries=retries
        ) as client:
            return await self._call(client)
