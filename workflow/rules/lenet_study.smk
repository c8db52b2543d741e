# Weight-decay study, beyond the article (config lenet_study; off while its weight_decays is
# empty): LeNets over weight decay x learning rate x seed, trained and calibrated by the
# LeNet stage's rules, each attacked with the article's attack and with DDN, then summarized.
# Run only the study: snakemake lenet_study --cores all --configfile config/lenet_study.yaml


include: "lenet_study_helpers.smk"


use rule lenet_train as lenet_study_train with:
    output:
        model="results/lenet_study/{net}/model.npz",
        history="results/lenet_study/{net}/history.csv",
    log:
        "logs/lenet_study/{net}/train.log",
    benchmark:
        "logs/benchmarks/lenet_study/{net}/train.tsv"
    wildcard_constraints:
        net=LENET_STUDY_NET,
    params:
        settings=lenet_study_train_settings,
        code=LENET_TRAIN_CODE,
        cpu_threads=LENET_THREADS,


use rule lenet_calibrate as lenet_study_calibrate with:
    input:
        mnist="results/data/mnist.npz",
        model="results/lenet_study/{net}/model.npz",
    output:
        "results/lenet_study/{net}/temperature.json",
    log:
        "logs/lenet_study/{net}/calibrate.log",
    benchmark:
        "logs/benchmarks/lenet_study/{net}/calibrate.tsv"
    wildcard_constraints:
        net=LENET_STUDY_NET,


rule lenet_study_attack:
    input:
        mnist="results/data/mnist.npz",
        model="results/lenet_study/{net}/model.npz",
        temperature="results/lenet_study/{net}/temperature.json",
    output:
        "results/lenet_study/{net}/attacks.csv",
    log:
        "logs/lenet_study/{net}/attack.log",
    benchmark:
        "logs/benchmarks/lenet_study/{net}/attack.tsv"
    wildcard_constraints:
        net=LENET_STUDY_NET,
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
        gpu=0,
    params:
        code=LENET_STUDY_ATTACK_CODE,
        attack=lenet_study_attack_params(),
    script:
        "../scripts/lenet_study_attack.py"


rule lenet_study_summary:
    input:
        histories=lenet_study_files("results/lenet_study/{net}/history.csv"),
        models=lenet_study_files("results/lenet_study/{net}/model.npz"),
        attacks=lenet_study_files("results/lenet_study/{net}/attacks.csv"),
    output:
        networks="results/lenet_study/networks.csv",
        spread="results/lenet_study/weight_decays.csv",
        verdict="results/lenet_study/verdict.csv",
        verdict_md="results/lenet_study/verdict.md",
        png=report(
            "results/figures/6_lenet_study.png",
            caption="../report/lenet_study.rst",
            category="Weight-decay study",
        ),
        pdf="results/figures/6_lenet_study.pdf",
    log:
        "logs/lenet_study/summary.log",
    benchmark:
        "logs/benchmarks/lenet_study/summary.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=LENET_STUDY_SUMMARY_CODE,
        networks=LENET_STUDY_NETWORKS,
        reference_weight_decay=float(config["lenet_study"]["reference_weight_decay"]),
    script:
        "../scripts/lenet_study_summary.py"


rule lenet_study:
    input:
        lenet_study_targets(),
