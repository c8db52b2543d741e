"""The science of boundary-tilting, importable without Snakemake.

Modules: data (MNIST, pair samples), geometry (SPEC sections 1-3), settings (config
checks), jobs (script glue). Import submodules explicitly; this package imports
nothing heavy on its own so that every job starts fast.
"""
