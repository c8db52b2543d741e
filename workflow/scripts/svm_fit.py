"""rule svm_fit: one certified linear SVM for (pair, lambda); the job is tilting.svm_fit_job.

A sweep is thousands of these ~0.4 s jobs. The ``shell:`` rule runs this file as
``python -S svm_fit.py ARGS``: a process that imports only the standard library and hands
the job to a fork server that has numpy and the solver imported already
(:mod:`tilting.forkserver`; ~0.1 s of CPU saved per job). With
BOUNDARY_TILTING_FORK_SERVER=0, or when no server can be started, the job runs in a fresh
interpreter. Run by ``script:``, the job runs in Snakemake's script process.
"""

import os
import sys

# one BLAS thread per job, before any import of numpy (the fork server sets its own)
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

if "snakemake" in globals():
    from tilting.jobs import run_job
    from tilting.svm_fit_job import main

    run_job(globals()["snakemake"], main)
else:
    from tilting import forkserver

    forkserver.run("tilting.svm_fit_job", sys.argv[1:], script=__file__)
