# SVM stage, method §4. One job per (pair, lambda) model, cached under
# results/svm/{pair}/lam_{alpha}.npz: extending the lambda grid or adding pairs runs only the
# new fits (and the per-pair and overall aggregations that read them). A fit saves the model
# and its certificate only; metrics, projections, mirror images and figures are per-pair jobs
# computed from the saved models. Each fit's process hands the job to a fork server (see
# workflow/scripts/svm_fit.py); BOUNDARY_TILTING_FORK_SERVER=0 runs every fit in a fresh
# interpreter instead (same results).


include: "svm_helpers.smk"


# On SLURM the profile groups a pair's jobs into one SLURM job (profiles/slurm, group
# svm_pair). Inside it, Snakemake runs "local" rules itself instead of starting an srun step
# with a Snakemake process of its own for each (seconds per job, for jobs of a fraction of a
# second). Outside a group (e.g. a cluster run without the profile's groups) local rules run
# on the submitting host; locally they make no difference.
localrules:
    pair_data,
    svm_fit,
    svm_pair_metrics,
    svm_projections,
    svm_mirrors,
    svm_figures,


rule svm_fit:
    input:
        "results/data/pairs/{pair}.npz",
    output:
        "results/svm/{pair}/lam_{alpha}.npz",
    log:
        "logs/svm/{pair}/lam_{alpha}.log",
    # wall time; its CPU and memory columns see the client process only, not the forked fit
    benchmark:
        "logs/benchmarks/svm/{pair}/lam_{alpha}.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        **svm_fit_params(),
    shell:
        '"$BOUNDARY_TILTING_PYTHON" -S "$BOUNDARY_TILTING_SCRIPTS/svm_fit.py"'
        " --pair-data {input} --output {output} --log {log}"
        " --pair {wildcards.pair} --alpha={wildcards.alpha} --pixel-scale {params.pixel_scale}"
        " --objective {params.objective} --gap-tolerance {params.gap_tolerance}"


rule svm_pair_metrics:
    input:
        pair="results/data/pairs/{pair}.npz",
        models=svm_model_files,
    output:
        "results/svm/{pair}/metrics.csv",
    log:
        "logs/svm/{pair}/metrics.log",
    benchmark:
        "logs/benchmarks/svm/{pair}/metrics.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=SVM_ANALYSIS_CODE,
    script:
        "../scripts/svm_pair_metrics.py"


rule svm_metrics:
    input:
        pairs=expand("results/svm/{pair}/metrics.csv", pair=PAIRS),
    output:
        csv=report(
            "results/svm/metrics.csv",
            caption="../report/svm_metrics.rst",
            category="Linear SVM on MNIST",
            subcategory="All pairs",
        ),
        parquet="results/svm/metrics.parquet",
    log:
        "logs/svm/metrics.log",
    benchmark:
        "logs/benchmarks/svm/metrics.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/svm_metrics.py"


rule svm_projections:
    input:
        pair="results/data/pairs/{pair}.npz",
        models=svm_model_files,
    output:
        "results/svm/{pair}/projections.npz",
    log:
        "logs/svm/{pair}/projections.log",
    benchmark:
        "logs/benchmarks/svm/{pair}/projections.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        code=SVM_ANALYSIS_CODE,
    script:
        "../scripts/svm_projections.py"


rule svm_mirrors:
    input:
        unpack(svm_mirror_inputs),
    output:
        npz="results/svm/{pair}/mirrors.npz",
        csv="results/svm/{pair}/mirrors.csv",
    log:
        "logs/svm/{pair}/mirrors.log",
    benchmark:
        "logs/benchmarks/svm/{pair}/mirrors.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=SVM_ANALYSIS_CODE,
        representatives=svm_representatives,
    script:
        "../scripts/svm_mirrors.py"


rule svm_figures:
    input:
        pair="results/data/pairs/{pair}.npz",
        metrics="results/svm/{pair}/metrics.csv",
        projections="results/svm/{pair}/projections.npz",
        mirrors="results/svm/{pair}/mirrors.npz",
        models=svm_figure_models,
    output:
        hist_png=report(
            "results/figures/4_svm_{pair}_histograms.png",
            caption="../report/svm_histograms.rst",
            category="Linear SVM on MNIST",
            subcategory="{pair}",
        ),
        hist_pdf="results/figures/4_svm_{pair}_histograms.pdf",
        curves_png=report(
            "results/figures/4_svm_{pair}_curves.png",
            caption="../report/svm_curves.rst",
            category="Linear SVM on MNIST",
            subcategory="{pair}",
        ),
        curves_pdf="results/figures/4_svm_{pair}_curves.pdf",
        plane_png=report(
            "results/figures/4_svm_{pair}_plane.png",
            caption="../report/svm_plane.rst",
            category="Linear SVM on MNIST",
            subcategory="{pair}",
        ),
        plane_pdf="results/figures/4_svm_{pair}_plane.pdf",
        mirrors_png=report(
            "results/figures/4_svm_{pair}_mirrors.png",
            caption="../report/svm_mirrors.rst",
            category="Linear SVM on MNIST",
            subcategory="{pair}",
        ),
        mirrors_pdf="results/figures/4_svm_{pair}_mirrors.pdf",
    log:
        "logs/svm/{pair}/figures.log",
    benchmark:
        "logs/benchmarks/svm/{pair}/figures.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=SVM_FIGURES_CODE,
        figure_exponents=svm_figure_exponents(),
    script:
        "../scripts/svm_figures.py"


rule svm_overview:
    input:
        "results/svm/metrics.csv",
    output:
        report(
            "results/figures/4_svm_overview_curves.png",
            caption="../report/svm_overview.rst",
            category="Linear SVM on MNIST",
            subcategory="All pairs",
        ),
        "results/figures/4_svm_overview_curves.pdf",
    log:
        "logs/svm/overview.log",
    benchmark:
        "logs/benchmarks/svm/overview.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=SVM_FIGURES_CODE,
        highlight=svm_overview_highlight(),
    script:
        "../scripts/svm_overview.py"
