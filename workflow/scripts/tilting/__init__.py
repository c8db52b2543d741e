"""The science of boundary-tilting, importable without Snakemake.

Modules: data (MNIST, pair samples), geometry (method §1-3), settings (config
checks), svm and svm_analysis (section 4), toy, losses, lenet, attack, likeness
(does a perturbation look like its target digit), claims (a package), plots;
jobs (script glue), svm_fit_job (one SVM fit job) and forkserver (runs such short jobs
as forks of one process). Import submodules explicitly; this package imports nothing
on its own, so that a job process, even one under ``python -S``, starts fast.
"""
