"""The store board's model: columns, order, NEW, leaving, paging, paused; time handed in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tests.tracking.orders import make_order
from tote_track.api.models import OrderSummary
from tote_track.tracking.board import (
    CALL_FOR,
    CALL_WITHIN,
    CAPPED_WAIT,
    FONTS,
    HANG_AFTER,
    NEW_FOR,
    READABLE_ROWS,
    REFRESH_EVERY,
    REFRESH_MAX,
    SWEEP_PAGE_CAP,
    UNCOLLECTED_AFTER,
    BoardColumn,
    BoardEntry,
    BoardModel,
    BoardView,
    Column,
    Font,
    LocationSeen,
    board_order,
    call_layout,
    lay_out,
    locations_seen,
    page_count,
    pages,
    paginate,
    preparing_layout,
    ready_layout,
    refresh_delay,
    retry_words,
)

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def order(
    n: int,
    fulfillment: str,
    *,
    status: str = "CONFIRMED",
    created: int = 0,
    updated: datetime | None = None,
    mode: str = "PICKUP",
) -> OrderSummary:
    """Order number ``n`` (its code is ``A0000n``), created ``created`` minutes after 10:00."""
    summary = make_order(
        status,
        "PAID",
        fulfillment,
        mode,
        order_id=f"a{n:05x}00-0000-4000-8000-{n:012x}",
        updated_at=updated or T0 - timedelta(hours=1),
    )
    return summary.model_copy(
        update={"created_at": datetime(2026, 1, 31, 10, tzinfo=UTC) + timedelta(minutes=created)}
    )


def codes(entries: tuple[BoardEntry, ...]) -> list[str]:
    return [entry.code for entry in entries]


def new_codes(entries: tuple[BoardEntry, ...]) -> list[str]:
    return [entry.code for entry in entries if entry.new]


# -- columns ---------------------------------------------------------------------------


def test_columns_take_preparing_and_ready_orders_only() -> None:
    sweep = [
        order(1, "PENDING"),
        order(2, "IN_PROGRESS"),
        order(3, "PREPARING"),
        order(4, "READY_FOR_PICKUP"),
        order(5, "FULFILLED", status="COMPLETED"),
        order(6, "DELIVERED", status="COMPLETED", mode="DELIVERY"),
        order(7, "CANCELLED", status="CANCELLED"),
        order(8, "RETURNED", status="COMPLETED"),
        order(9, "PENDING", status="PENDING"),
    ]
    board = BoardModel.start(T0).apply_sweep(sweep, T0)
    assert codes(board.preparing) == ["A00002", "A00003"]
    assert codes(board.ready) == ["A00004"]
    assert [c.title for c in board.view(T0).columns] == ["Preparing", "Ready for pickup"]
    assert [c.column for c in board.view(T0).columns] == [Column.PREPARING, Column.READY]


def test_an_order_shows_as_its_short_code_only() -> None:
    summary = make_order("CONFIRMED", "PAID", "PREPARING", "CURBSIDE")
    board = BoardModel.start(T0).apply_sweep([summary], T0)
    (entry,) = board.preparing
    assert entry.code == "F9A8B7" == summary.short_code
    assert entry.order_id == summary.id
    assert set(BoardEntry.__slots__) == {"order_id", "code", "new"}


def test_delivery_orders_ready_for_the_driver_are_in_the_ready_column() -> None:
    board = BoardModel.start(T0).apply_sweep([order(1, "READY_FOR_PICKUP", mode="DELIVERY")], T0)
    assert codes(board.ready) == ["A00001"]


def test_a_final_status_keeps_an_order_off_the_board_whatever_its_fulfillment() -> None:
    assert board_order(order(1, "READY_FOR_PICKUP", status="CANCELLED")) is None
    assert board_order(order(2, "SOMETHING_NEW")) is None


def test_oldest_first_in_each_column_so_the_longest_wait_is_on_top() -> None:
    sweep = [
        order(1, "PREPARING", created=30),
        order(2, "IN_PROGRESS", created=10),
        order(3, "PREPARING", created=20),
        order(4, "READY_FOR_PICKUP", created=25),
        order(5, "READY_FOR_PICKUP", created=5),
    ]
    board = BoardModel.start(T0).apply_sweep(sweep, T0)
    assert codes(board.preparing) == ["A00002", "A00003", "A00001"]
    assert codes(board.ready) == ["A00005", "A00004"]


def test_same_creation_time_is_ordered_by_id() -> None:
    sweep = [order(3, "PREPARING"), order(1, "PREPARING"), order(2, "PREPARING")]
    board = BoardModel.start(T0).apply_sweep(sweep, T0)
    assert codes(board.preparing) == ["A00001", "A00002", "A00003"]


def test_an_order_read_twice_counts_once_at_its_latest_state() -> None:
    older = order(1, "PREPARING", updated=T0 - timedelta(minutes=2))
    newer = order(1, "READY_FOR_PICKUP", updated=T0 - timedelta(minutes=1))
    board = BoardModel.start(T0).apply_sweep([newer, older], T0)
    assert codes(board.preparing) == []
    assert codes(board.ready) == ["A00001"]


def test_orders_leave_when_picked_up_delivered_or_cancelled() -> None:
    start = [
        order(1, "READY_FOR_PICKUP"),
        order(2, "READY_FOR_PICKUP", mode="DELIVERY"),
        order(3, "PREPARING"),
        order(4, "PREPARING"),
    ]
    board = BoardModel.start(T0).apply_sweep(start, T0)
    later = T0 + timedelta(seconds=5)
    # With the sweep's status filter, finished orders are simply absent.
    board = board.apply_sweep([order(4, "PREPARING")], later)
    assert codes(board.preparing) == ["A00004"]
    assert codes(board.ready) == []
    # Without it, their final states keep them off too.
    board = board.apply_sweep(
        [
            order(1, "FULFILLED", status="COMPLETED"),
            order(3, "CANCELLED", status="CANCELLED"),
            order(4, "PREPARING"),
        ],
        later,
    )
    assert codes(board.preparing) == ["A00004"]
    assert board.ready == ()


# -- called, then NEW ------------------------------------------------------------------


def view_codes(view: BoardView) -> list[str]:
    return [entry.code for entry in view.ready]


def test_a_code_that_becomes_ready_is_called_then_new_for_45_seconds() -> None:
    board = BoardModel.start(T0).apply_sweep([order(1, "PREPARING")], T0)
    ready_at = T0 + timedelta(seconds=5)
    board = board.apply_sweep([order(1, "READY_FOR_PICKUP", updated=ready_at)], ready_at)
    calling = board.view(ready_at).calling
    assert calling is not None
    assert calling.code == "A00001"
    assert board.next_change(ready_at) == ready_at + CALL_FOR
    after_call = ready_at + CALL_FOR
    view = board.view(after_call)
    assert view.calling is None
    assert new_codes(view.ready) == ["A00001"]
    assert timedelta(seconds=45) == NEW_FOR
    assert board.next_change(after_call) == after_call + NEW_FOR
    assert new_codes(board.view(after_call + NEW_FOR - timedelta(seconds=1)).ready) == ["A00001"]
    view = board.view(after_call + NEW_FOR)
    assert new_codes(view.ready) == []
    assert view_codes(view) == ["A00001"]


def test_codes_ready_when_the_board_starts_are_neither_called_nor_new() -> None:
    sweep = [
        order(1, "READY_FOR_PICKUP", updated=T0 - timedelta(minutes=3)),
        order(2, "READY_FOR_PICKUP", updated=T0 - timedelta(seconds=10)),
        order(3, "READY_FOR_PICKUP", updated=T0 + timedelta(seconds=30)),  # server ahead
    ]
    board = BoardModel.start(T0).apply_sweep(sweep, T0)
    view = board.view(T0)
    assert view.calling is None
    assert new_codes(view.ready) == []
    assert view_codes(view) == ["A00001", "A00002", "A00003"]
    assert board.ready_since[sweep[2].id] == T0  # never later than now


def test_a_burst_is_called_one_code_at_a_time_and_a_long_queue_is_only_marked() -> None:
    board = BoardModel.start(T0).apply_sweep([], T0)
    now = T0 + timedelta(seconds=5)
    burst = [order(n, "READY_FOR_PICKUP", created=n) for n in range(1, 10)]
    board = board.apply_sweep(burst, now)
    called = [c for c in board.calls if c.called]
    assert [c.code for c in called][:2] == ["A00001", "A00002"]
    for first, second in itertools.pairwise(called):
        assert second.start == first.end  # one at a time
    assert all(c.start - now <= CALL_WITHIN for c in called)
    assert len(called) < len(burst)  # the rest are only NEW
    moments = [now + timedelta(seconds=s) for s in range(60)]
    seen = {board.view(m).calling.code for m in moments if board.view(m).calling is not None}
    assert seen == {c.code for c in called}
    assert new_codes(board.view(now + timedelta(seconds=40)).ready) == codes(
        tuple(burst_entries(burst))
    )


def burst_entries(orders: list[OrderSummary]) -> list[BoardEntry]:
    return [BoardEntry(o.id, o.short_code) for o in orders]


def test_a_ready_order_first_seen_after_a_failed_start_is_not_new() -> None:
    board = BoardModel.start(T0).apply_failure(T0)
    board = board.apply_sweep([order(1, "READY_FOR_PICKUP", updated=T0 - timedelta(minutes=1))], T0)
    assert new_codes(board.view(T0).ready) == []


def test_an_offline_board_keeps_its_codes_calls_none_and_marks_none_new() -> None:
    ready_at = T0 + timedelta(seconds=5)
    board = BoardModel.start(T0).apply_sweep([order(1, "PREPARING")], T0)
    board = board.apply_sweep([order(1, "READY_FOR_PICKUP", updated=ready_at)], ready_at)
    failed_at = ready_at + timedelta(seconds=2)
    board = board.apply_failure(failed_at)
    view = board.view(failed_at)
    assert view.offline  # from the first failed sweep
    assert view.calling is None
    assert new_codes(view.ready) == []
    assert view_codes(view) == ["A00001"]
    assert view.as_of == ready_at
    back = failed_at + timedelta(seconds=5)
    board = board.apply_sweep([order(1, "READY_FOR_PICKUP", updated=ready_at)], back)
    assert not board.view(back).offline


def test_a_sweep_that_hangs_two_refresh_periods_makes_the_board_offline() -> None:
    assert timedelta(seconds=2 * REFRESH_EVERY) == HANG_AFTER
    board = BoardModel.start(T0).apply_sweep([order(1, "PREPARING")], T0)
    assert not board.offline(T0 + timedelta(hours=1))  # no sweep in flight: nothing hangs
    sent = T0 + timedelta(seconds=5)
    board = board.begin_sweep(sent)
    assert board.next_change(sent) == sent + HANG_AFTER
    assert not board.offline(sent + HANG_AFTER - timedelta(milliseconds=1))
    assert board.offline(sent + HANG_AFTER)
    assert board.view(sent + HANG_AFTER).offline
    assert not board.apply_sweep([], sent + HANG_AFTER).offline(sent + HANG_AFTER)


def test_a_first_sweep_that_hangs_makes_the_board_offline_too() -> None:
    board = BoardModel.start(T0).begin_sweep(T0)
    assert not board.loaded
    assert board.offline(T0 + HANG_AFTER)
    assert BoardModel.start(T0).apply_sweep([], T0).loaded


def test_what_the_board_remembers_is_pruned_to_the_orders_on_it() -> None:
    board = BoardModel.start(T0)
    now = T0
    for n in range(50):
        now += timedelta(seconds=5)
        board = board.apply_sweep([order(n, "READY_FOR_PICKUP"), order(n + 1, "PREPARING")], now)
    assert len(board.ready_since) == 1
    assert len(board.calls) <= 1
    board = board.apply_sweep([], now)
    assert board.ready_since == {}
    assert board.calls == ()
    assert board.empty


# -- uncollected ---------------------------------------------------------------------------


def test_codes_ready_longer_than_the_threshold_step_aside_to_the_counter_strip() -> None:
    assert timedelta(minutes=15) == UNCOLLECTED_AFTER
    sweep = [
        order(1, "READY_FOR_PICKUP", updated=T0 - timedelta(minutes=20)),
        order(2, "READY_FOR_PICKUP", updated=T0 - timedelta(minutes=5)),
    ]
    board = BoardModel.start(T0).apply_sweep(sweep, T0)
    view = board.view(T0)
    assert view_codes(view) == ["A00002"]
    assert codes(view.uncollected) == ["A00001"]
    assert board.next_change(T0) == T0 + timedelta(minutes=10)
    later = board.view(T0 + timedelta(minutes=10))
    assert codes(later.uncollected) == ["A00001", "A00002"]
    short = BoardModel.start(T0, uncollected_after=timedelta(minutes=30)).apply_sweep(sweep, T0)
    assert codes(short.view(T0).uncollected) == []


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (45.0, "retrying in 45 s"),
        (44.2, "retrying in 45 s"),
        (0.0, "retrying now"),
        (-3, "retrying now"),
    ],
)
def test_when_the_next_try_goes_out_in_words(seconds: float, words: str) -> None:
    assert retry_words(seconds) == words


def test_a_failed_sweep_keeps_what_is_shown() -> None:
    board = BoardModel.start(T0).apply_sweep(
        [order(1, "PREPARING"), order(2, "READY_FOR_PICKUP")], T0
    )
    failed = board.apply_failure(T0 + timedelta(seconds=5))
    assert failed.preparing == board.preparing
    assert codes(failed.ready) == ["A00002"]
    assert failed.failures == 1
    assert failed.last_success == T0
    assert failed.apply_failure(T0 + timedelta(seconds=10)).failures == 2
    assert failed.apply_sweep([], T0 + timedelta(seconds=10)).failures == 0


def test_refresh_is_steady_while_sweeps_succeed_and_backs_off_while_they_fail() -> None:
    assert refresh_delay(0) == REFRESH_EVERY == 5.0
    assert [refresh_delay(n) for n in range(1, 6)] == [5.0, 10.0, 20.0, 30.0, 30.0]
    assert REFRESH_MAX == 30.0
    assert refresh_delay(1, retry_after=45.0) == 45.0
    assert refresh_delay(3, retry_after=2.0) == 20.0
    assert refresh_delay(1, retry_after=float("inf")) == 5.0
    assert refresh_delay(1, retry_after=10_000.0) == 300.0


def test_a_sweep_stopped_at_the_page_cap_waits_long_before_the_next() -> None:
    assert SWEEP_PAGE_CAP == 50
    assert refresh_delay(0, capped=True) == CAPPED_WAIT >= 60.0
    board = BoardModel.start(T0).apply_sweep([order(1, "PREPARING")], T0, skipped=1, capped=True)
    assert board.capped
    assert board.skipped == 1
    assert codes(board.preparing) == ["A00001"]


# -- type ---------------------------------------------------------------------------------

# The Ready column's drawing area of a kiosk board at 192x54 (3:2 columns, the offline
# band's three rows, the heading, the grid's padding and the bottom line).
TV = (113, 48)


@pytest.mark.parametrize(("count", "rows"), [(1, 12), (4, 9), (12, READABLE_ROWS)])
def test_ready_type_grows_with_the_screen_and_shrinks_with_the_codes(count: int, rows: int) -> None:
    layout = ready_layout(*TV, count)
    assert layout.font.height >= rows
    assert layout.capacity >= count  # all on one page


def test_ready_pages_only_below_the_readable_size() -> None:
    layout = ready_layout(*TV, 40)
    assert layout.font.height == READABLE_ROWS
    assert layout.capacity < 40


@pytest.mark.parametrize("font", FONTS)
def test_two_codes_side_by_side_are_two_glyph_widths_apart(font: Font) -> None:
    assert font.gutter >= 2 * font.width
    assert font.gutter > font.spacing


def test_preparing_type_is_smaller_than_ready() -> None:
    ready = ready_layout(*TV, 1)
    preparing = preparing_layout(70, 48, 30, below=ready.font)
    assert preparing.font.height < ready.font.height
    smallest = preparing_layout(70, 48, 3, below=FONTS[-1])
    assert smallest.font == FONTS[-1]


def test_a_called_code_takes_the_largest_type_that_holds_it() -> None:
    layout = call_layout(190, 46)
    assert layout.font.height >= 21
    assert layout.font.code_width <= 190


def test_lay_out_puts_new_codes_on_every_page() -> None:
    ready = tuple(BoardEntry(f"id{n}", f"C{n:05d}", new=n == 30) for n in range(40))
    view = BoardView(ready=ready, loaded=True)
    for turn in range(6):
        shown = lay_out(view, TV, (70, 48), turn)
        page = shown.columns[1]
        assert page.pages > 1
        assert [e.code for e in page.entries if e.new] == ["C00030"]
    # And every other code is on some page.
    seen = {
        e.code for turn in range(6) for e in lay_out(view, TV, (70, 48), turn).columns[1].entries
    }
    assert seen == {e.code for e in ready}


# -- paging ------------------------------------------------------------------------------


def entries(count: int) -> tuple[BoardEntry, ...]:
    return tuple(BoardEntry(f"id{n}", f"C{n:05d}") for n in range(count))


@pytest.mark.parametrize(
    ("total", "per_page", "expected"),
    [(0, 10, 1), (1, 10, 1), (10, 10, 1), (11, 10, 2), (2000, 20, 100), (2001, 20, 101)],
)
def test_page_count(total: int, per_page: int, expected: int) -> None:
    assert page_count(total, per_page) == expected


def test_page_count_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        page_count(5, 0)


def test_paginate_slices_the_page_shown_at_each_turn_and_wraps() -> None:
    column = BoardColumn(Column.PREPARING, entries(25))
    first = paginate(column, 10, 0)
    assert (first.page, first.pages, first.total, first.label) == (0, 3, 25, "page 1/3")
    assert codes(first.entries) == [f"C{n:05d}" for n in range(10)]
    last = paginate(column, 10, 2)
    assert codes(last.entries) == [f"C{n:05d}" for n in range(20, 25)]
    assert last.label == "page 3/3"
    assert paginate(column, 10, 3) == first


def test_a_column_that_fits_shows_everything_on_every_turn() -> None:
    column = BoardColumn(Column.READY, entries(4))
    for turn in range(5):
        page = paginate(column, 10, turn)
        assert (page.page, page.pages, page.label) == (0, 1, "")
        assert len(page.entries) == 4


def test_pages_of_the_whole_board() -> None:
    board = [BoardColumn(Column.PREPARING, entries(45)), BoardColumn(Column.READY, entries(12))]
    shown = pages(board, rows_per_page=5, columns_per_row=2, turn=0)
    assert shown.paging
    assert shown.count == 5  # the longest column: 45 codes, 10 a page
    assert shown.cycle == 10  # 5 pages and 2 pages meet again after 10 turns
    assert [len(page.entries) for page in shown.columns] == [10, 10]
    turn4 = pages(board, 5, 2, turn=4)
    assert [(p.page, len(p.entries)) for p in turn4.columns] == [(4, 5), (0, 10)]
    assert [p.label for p in turn4.columns] == ["page 5/5", "page 1/2"]
    calm = pages([BoardColumn(Column.READY, entries(3))], 5, 2)
    assert not calm.paging
    assert (calm.count, calm.cycle) == (1, 1)
    assert pages([], 3).count == 1


def test_pages_needs_a_row_and_a_code_per_row() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        pages([], rows_per_page=0)
    with pytest.raises(ValueError, match="at least one row"):
        pages([], rows_per_page=3, columns_per_row=0)


def test_two_thousand_orders_page_cleanly() -> None:
    sweep = [order(n, "PREPARING" if n % 3 else "READY_FOR_PICKUP") for n in range(2000)]
    board = BoardModel.start(T0, uncollected_after=timedelta(days=1)).apply_sweep(sweep, T0)
    assert (len(board.preparing), len(board.ready)) == (1333, 667)
    shown = pages(board.view(T0).columns, rows_per_page=8, columns_per_row=2, turn=41)
    assert [len(page.entries) for page in shown.columns] == [16, 667 - 41 * 16]
    assert [page.label for page in shown.columns] == ["page 42/84", "page 42/42"]
    assert shown.count == 84


def test_which_codes_became_ready_since_the_last_good_sweep() -> None:
    first = BoardModel.start(T0).apply_sweep(
        [order(1, "PREPARING"), order(2, "READY_FOR_PICKUP")], T0
    )
    assert first.became_ready(BoardModel.start(T0)) == ()  # the first sweep saw nothing change
    later = T0 + timedelta(seconds=5)
    second = first.apply_sweep([order(1, "READY_FOR_PICKUP"), order(2, "READY_FOR_PICKUP")], later)
    assert codes(second.became_ready(first)) == ["A00001"]
    assert second.apply_sweep([order(1, "READY_FOR_PICKUP")], later).became_ready(second) == ()


def test_the_locations_of_recent_orders_busiest_first() -> None:
    def at(location: str, fulfillment: str, n: int) -> OrderSummary:
        summary = order(n, fulfillment)
        return summary.model_copy(update={"location_id": location})

    recent = [
        at("b-store", "PREPARING", 1),
        at("a-store", "FULFILLED", 2),
        at("b-store", "READY_FOR_PICKUP", 3),
        at("b-store", "FULFILLED", 4),
        at("a-store", "PREPARING", 5),
        at("c-store", "FULFILLED", 6),
        at("a-store", "FULFILLED", 7),
    ]
    assert locations_seen(recent) == (
        LocationSeen("a-store", 3, 1),
        LocationSeen("b-store", 3, 2),
        LocationSeen("c-store", 1, 0),
    )
    assert locations_seen([]) == ()
