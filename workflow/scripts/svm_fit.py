"""rule svm_fit: one certified linear SVM for (pair, lambda); the job is tilting.svm_fit_job.

A sweep is thousands of these short jobs. The rule runs this file as ``python -S svm_fit.py
ARGS``: a process that imports only the standard library and hands the job to a fork server
that has numpy and the solver imported already (:mod:`tilting.forkserver`; a fresh interpreter
would spend ~0.1-0.2 s of CPU per job importing them). With BOUNDARY_TILTING_FORK_SERVER=0, or
when no server can be started, the job runs in a fresh interpreter, with the same results.
"""

import os
import sys

# one BLAS thread per job, before any import of numpy (the fork server sets its own)
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from tilting import forkserver  # noqa: E402  (standard library only; the script's folder is on sys.path)

forkserver.run("tilting.svm_fit_job", sys.argv[1:], script=__file__)
