"""One owner of every wait: the tracker never waits inside the client; the polling policy
owns every delay, Retry-After included, and the bottom line says what it waits for and
until when, second by second on a frozen clock."""

from __future__ import annotations

import httpx

from tests.tui.support import FakeApi, FakeClock, envelope, make_app, screen_words, settle


async def test_429_then_503_then_200_one_get_each_and_the_words_every_second(api: FakeApi) -> None:
    api.queue.append(
        httpx.Response(
            429,
            json={"error": {"code": "rate_limited", "message": "Slow down"}},
            headers={"Retry-After": "45"},
        )
    )
    api.queue.append(envelope(503, "unavailable", "Try again later"))
    clock = FakeClock()
    app = make_app(api.transport, clock=clock)
    async with app.run_test(size=(100, 34)) as pilot:

        async def at(second: int) -> str:
            """Move the clock to ``second``, let a due check run, and read the bottom line."""
            clock.advance(second - elapsed[0])
            elapsed[0] = second
            app.poll_if_due()
            await settle(pilot)
            app.refresh_freshness()
            await pilot.pause()
            line, _ = app.freshness_text()
            assert line in screen_words(app)  # what the customer sees
            return line

        elapsed = [0]
        await settle(pilot)
        assert len(api.gets()) == 1
        assert app.freshness_text()[0] == "rate limited · retry in 45 s"
        for second in range(1, 45):
            assert await at(second) == f"rate limited · retry in {45 - second} s"
            assert len(api.gets()) == 1, f"no request before the server allows one (t={second})"
        assert await at(45) == "server error · retry in 10 s"
        assert len(api.gets()) == 2
        for second in range(46, 55):
            assert await at(second) == f"server error · retry in {55 - second} s"
            assert len(api.gets()) == 2
        line = await at(55)
        assert len(api.gets()) == 3
        assert line == "updated just now · next check in 5 s"
        assert "Your order is being prepared." in screen_words(app)
