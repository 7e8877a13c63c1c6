"""`within`: the work's result, or TimeoutError at the deadline whatever the cancelled work is
still waiting for; abandoned work finishes in the background."""

from __future__ import annotations

import asyncio

import pytest

from api import background
from api.background import within


async def test_the_result_of_work_that_finishes() -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        return 42

    assert await within(work(), 5) == 42


async def test_an_error_of_the_work_is_raised() -> None:
    async def work() -> None:
        raise ValueError("from the work")

    with pytest.raises(ValueError, match="from the work"):
        await within(work(), 5)


async def test_the_deadline_does_not_wait_for_a_cancelled_work_to_finish() -> None:
    release = asyncio.Event()
    finished = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await release.wait()  # like asyncpg waiting on a frozen server to confirm a cancel
            finished.set()
            raise

    detached = len(background._DETACHED)
    with pytest.raises(TimeoutError):
        await within(stubborn(), 0.01)
    assert not finished.is_set()  # answered while the work is still winding down
    assert len(background._DETACHED) == detached + 1
    release.set()
    await finished.wait()
    await asyncio.sleep(0)
    assert len(background._DETACHED) == detached  # forgotten once done


async def test_a_cancelled_waiter_leaves_the_work_to_finish_in_the_background() -> None:
    done = asyncio.Event()

    async def work() -> None:
        await asyncio.sleep(0.01)
        done.set()

    waiter = asyncio.ensure_future(within(work(), 5))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await done.wait()  # the work was not cancelled with its waiter
