# Toy stage, method §1-3: the 2-D toy problem, the loss scaling, d_adv against theta. No MNIST.


include: "toy_helpers.smk"


rule toy_boundaries:
    output:
        png=report(
            "results/figures/1_toy_boundaries.png",
            caption="../report/toy_boundaries.rst",
            category="Toy problem",
        ),
        pdf="results/figures/1_toy_boundaries.pdf",
    log:
        "logs/toy/toy_boundaries.log",
    benchmark:
        "logs/benchmarks/toy/toy_boundaries.tsv"
    conda:
        "../../envs/toy.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=TOY_CODE,
        problem=toy_problem_params(),
        thetas_deg=toy_floats("thetas_deg"),
    script:
        "../scripts/toy_boundaries.py"


rule toy_mirror:
    output:
        table="results/toy/mirror.csv",
        png=report(
            "results/figures/1_toy_mirror.png",
            caption="../report/toy_mirror.rst",
            category="Toy problem",
        ),
        pdf="results/figures/1_toy_mirror.pdf",
        distance_png=report(
            "results/figures/1_toy_mirror_distance.png",
            caption="../report/toy_mirror_distance.rst",
            category="Toy problem",
        ),
        distance_pdf="results/figures/1_toy_mirror_distance.pdf",
    log:
        "logs/toy/toy_mirror.log",
    benchmark:
        "logs/benchmarks/toy/toy_mirror.tsv"
    conda:
        "../../envs/toy.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=TOY_CODE,
        problem=toy_problem_params(),
        image=toy_floats("mirror_image"),
        thetas_shown_deg=toy_floats("mirror_thetas_deg"),
        steps=int(config["toy"]["mirror_steps"]),
    script:
        "../scripts/toy_mirror.py"


rule toy_noisy_point:
    output:
        table="results/toy/noisy_point.csv",
        png=report(
            "results/figures/1_toy_noisy_point.png",
            caption="../report/toy_noisy_point.rst",
            category="Toy problem",
        ),
        pdf="results/figures/1_toy_noisy_point.pdf",
    log:
        "logs/toy/toy_noisy_point.log",
    benchmark:
        "logs/benchmarks/toy/toy_noisy_point.tsv"
    conda:
        "../../envs/toy.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=TOY_CODE,
        problem=toy_problem_params(),
        noisy_point=toy_floats("noisy_point"),
        noisy_label=int(config["toy"]["noisy_label"]),
        lambdas=toy_lambdas(),
    script:
        "../scripts/toy_noisy_point.py"


rule toy_loss_scaling:
    output:
        table="results/toy/loss_asymptotes.csv",
        png=report(
            "results/figures/2_loss_scaling.png",
            caption="../report/loss_scaling.rst",
            category="Loss scaling",
        ),
        pdf="results/figures/2_loss_scaling.pdf",
    log:
        "logs/toy/toy_loss_scaling.log",
    benchmark:
        "logs/benchmarks/toy/toy_loss_scaling.tsv"
    conda:
        "../../envs/toy.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=TOY_CODE,
        norms=toy_floats("loss_norms"),
        margin_range=float(config["toy"]["loss_margin_range"]),
    script:
        "../scripts/toy_loss_scaling.py"


rule toy_dadv_theta:
    output:
        table="results/toy/dadv_theta.csv",
        png=report(
            "results/figures/3_dadv_theta.png",
            caption="../report/dadv_theta.rst",
            category="Adversarial distance",
        ),
        pdf="results/figures/3_dadv_theta.pdf",
    log:
        "logs/toy/toy_dadv_theta.log",
    benchmark:
        "logs/benchmarks/toy/toy_dadv_theta.tsv"
    conda:
        "../../envs/toy.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=TOY_CODE,
        dadv=toy_dadv_params(),
    script:
        "../scripts/toy_dadv_theta.py"
