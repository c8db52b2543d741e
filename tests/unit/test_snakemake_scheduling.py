"""snakemake_scheduling: at most one pending re-evaluation timer per scheduler."""

from __future__ import annotations

import inspect
import threading

from snakemake_scheduling import keep_one_reevaluation_timer


class FakeScheduler:
    def __init__(self):
        self._open_jobs = threading.Semaphore(0)

    def _schedule_reevalutation(self, delay):
        raise AssertionError("not patched")


def test_rounds_share_one_pending_timer():
    assert keep_one_reevaluation_timer(FakeScheduler)
    assert keep_one_reevaluation_timer(FakeScheduler)  # patching twice is harmless
    scheduler, other = FakeScheduler(), FakeScheduler()
    before = set(threading.enumerate())
    for _ in range(50):  # 50 scheduling rounds within one timespan
        scheduler._schedule_reevalutation(2.0)  # long enough that none fires within the loop
    other._schedule_reevalutation(2.0)  # each scheduler has its own timer
    timers = [thread for thread in set(threading.enumerate()) - before if isinstance(thread, threading.Timer)]
    assert len(timers) == 2
    assert all(timer.daemon for timer in timers)  # Snakemake does not wait for them at exit
    assert scheduler._open_jobs.acquire(timeout=5)  # one more round after the timespan...
    assert not scheduler._open_jobs.acquire(timeout=0.5)  # ...not 50
    assert other._open_jobs.acquire(timeout=5)
    scheduler._schedule_reevalutation(0.05)  # once fired, the next round starts a new timer
    assert scheduler._open_jobs.acquire(timeout=5)


def test_snakemake_still_has_the_patched_method():
    """If Snakemake renames the method, the fix would silently do nothing: fail here instead."""
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert "self._schedule_reevalutation(" in inspect.getsource(JobScheduler.schedule)
    assert keep_one_reevaluation_timer()
    assert getattr(JobScheduler._schedule_reevalutation, "keeps_one_timer", False)
