"""A fix for Snakemake's job scheduler, applied when the workflow is loaded (common.smk).

Snakemake 9 (measured: 9.27.1) ends every scheduling round by starting a timer that
triggers another round after ``--max-jobs-per-timespan``'s timespan (default 1 s), so that
jobs held back by that rate limit get their turn. A round started by the timer starts a
new timer too, and every finished job starts a round: each finished job adds a chain of
one round per second that lasts until the end of the run. With thousands of short jobs
(the SVM sweep: 3645 fits of ~0.4 s) the rounds pile up until the main process spends a
whole core on them: 405 fits caused 11,099 rounds and 31 s of scheduler CPU in 100 s.

:func:`keep_one_reevaluation_timer` makes a round start a timer only when none is pending:
one timer still brings back jobs the rate limit held back. The timer is also a daemon
thread, so Snakemake no longer waits up to a timespan for it when it exits.
"""

from __future__ import annotations

import threading


def keep_one_reevaluation_timer(scheduler_class=None) -> bool:
    """Patch ``JobScheduler._schedule_reevalutation`` (sic); returns False where it does not exist."""
    if scheduler_class is None:
        from snakemake.scheduling.job_scheduler import JobScheduler as scheduler_class
    original = getattr(scheduler_class, "_schedule_reevalutation", None)
    if original is None or getattr(original, "keeps_one_timer", False):
        return original is not None
    lock = threading.Lock()

    def schedule_reevaluation(self, delay) -> None:
        with lock:
            if getattr(self, "_reevaluation_pending", False):
                return
            self._reevaluation_pending = True

        def reevaluate():
            with lock:
                self._reevaluation_pending = False
            self._open_jobs.release()

        timer = threading.Timer(delay, reevaluate)
        timer.daemon = True
        timer.start()

    schedule_reevaluation.keeps_one_timer = True
    scheduler_class._schedule_reevalutation = schedule_reevaluation
    return True
