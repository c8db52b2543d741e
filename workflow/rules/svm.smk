# SVM stage, SPEC section 4. One job per (pair, lambda) model, cached under results/svm/{pair}/lam_{alpha}.npz:
# extending the lambda grid or adding pairs runs only the new fits (and the
# per-pair and overall aggregations that read them). Each fit's process only hands
# the job to a fork server (see workflow/scripts/svm_fit.py); set
# BOUNDARY_TILTING_FORK_SERVER=0 to run every fit in a fresh interpreter instead.


include: "svm_helpers.smk"


rule svm_fit:
    input:
        "results/data/pairs/{pair}.npz",
    output:
        "results/svm/{pair}/lam_{alpha}.npz",
    log:
        "logs/svm/{pair}/lam_{alpha}.log",
    # wall time; its CPU and memory columns see the client process only, not the forked fit
    benchmark:
        "benchmarks/svm/{pair}/lam_{alpha}.tsv"
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        alpha=svm_exponent,
        pixel_scale=float(config["svm"]["pixel_scale"]),
        objective=str(config["svm"]["objective"]),
        gap_tolerance=float(config["svm"]["gap_tolerance"]),
        # a change of the solver code reruns the fits (Snakemake tracks only the rule's own code)
        code=SVM_FIT_CODE,
        python=SVM_PYTHON,
        script=SVM_FIT_SCRIPT,
    shell:
        "{params.python} -S {params.script} --pair-data {input} --output {output} --log {log}"
        " --pair {wildcards.pair} --alpha={params.alpha} --pixel-scale {params.pixel_scale}"
        " --objective {params.objective} --gap-tolerance {params.gap_tolerance}"


rule svm_pair_metrics:
    input:
        svm_model_files,
    output:
        "results/svm/{pair}/metrics.csv",
    log:
        "logs/svm/{pair}/metrics.log",
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
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
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
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
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        representatives=str(config["svm"]["representatives"]),
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
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
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
    conda:
        "../../envs/svm.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        highlight=svm_overview_highlight(),
    script:
        "../scripts/svm_overview.py"
