# LeNet stage, method §5: LeNet with low and high weight decay on MNIST, softmax temperature,
# targeted adversarial examples, weights and figures.
#
# GPU: lenet_train uses CUDA when one is present (lenet.device: auto). Its `gpu` resource
# is 0 here; a cluster profile asks for a GPU with
#   set-resources: {lenet_train: {gpu: 1}}
# (the SLURM executor plugin turns gpu=N into --gpus=N).
# Threads: config lenet.threads (1: `--cores 2` trains two networks at once, which on a CPU
# beats one network with two threads). The weights on the CPU depend on the count, so it is
# config and a param, and the job uses it even where `--cores` or `--set-threads` give the job
# fewer or more CPUs: same config, same weights. (Snakemake leaves params computed from a
# job's threads out of its rerun check: a param from --set-threads would rerun nothing.)


include: "lenet_helpers.smk"


rule lenet_train:
    input:
        mnist="results/data/mnist.npz",
    output:
        model="results/lenet/{net}/model.npz",
        history="results/lenet/{net}/history.csv",
    # checkpoint.pt beside the log: run state, not a result, so neither an output nor a param
    # (where it lies changes no weight), and not a log (Snakemake deletes a job's logs before
    # it runs). Written after every epoch and resumed after a crash; kept once training ends,
    # so that a rerun (e.g. after Snakemake was killed) reads it instead of training again.
    # checkpoint.lock beside it too: one process trains a network at a time.
    log:
        "logs/lenet/{net}/train.log",
    benchmark:
        "logs/benchmarks/lenet/{net}/train.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: LENET_THREADS
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=0,
    params:
        settings=lenet_train_settings,
        code=LENET_TRAIN_CODE,
        cpu_threads=LENET_THREADS,
    script:
        "../scripts/lenet_train.py"


rule lenet_calibrate:
    input:
        mnist="results/data/mnist.npz",
        model="results/lenet/{net}/model.npz",
    output:
        "results/lenet/{net}/temperature.json",
    log:
        "logs/lenet/{net}/calibrate.log",
    benchmark:
        "logs/benchmarks/lenet/{net}/calibrate.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=LENET_ATTACK_CODE,
        median_probability=float(config["attack"]["median_probability"]),
        test_images=lenet_test_images(),
    script:
        "../scripts/lenet_calibrate.py"


rule lenet_attack:
    input:
        mnist="results/data/mnist.npz",
        model="results/lenet/{net}/model.npz",
        temperature="results/lenet/{net}/temperature.json",
    output:
        "results/lenet/{net}/attack/{digit}.npz",
    log:
        "logs/lenet/{net}/attack_{digit}.log",
    benchmark:
        "logs/benchmarks/lenet/{net}/attack_{digit}.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        code=LENET_ATTACK_CODE,
        attack=lenet_attack_params(),
    script:
        "../scripts/lenet_attack.py"


rule lenet_adversarial:
    input:
        examples=lenet_attack_files(),
        # the mean training image of each digit, for the perturbations' target likeness
        mnist="results/data/mnist.npz",
    output:
        table="results/lenet/adversarial.csv",
        png=report(
            "results/figures/5_lenet_adversarial.png",
            caption="../report/lenet_adversarial.rst",
            category="LeNet",
            subcategory="Adversarial examples",
        ),
        pdf="results/figures/5_lenet_adversarial.pdf",
        norms_png=report(
            "results/figures/5_lenet_perturbation_norms.png",
            caption="../report/lenet_perturbation_norms.rst",
            category="LeNet",
            subcategory="Adversarial examples",
        ),
        norms_pdf="results/figures/5_lenet_perturbation_norms.pdf",
    log:
        "logs/lenet/adversarial.log",
    benchmark:
        "logs/benchmarks/lenet/adversarial.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=LENET_ADVERSARIAL_CODE,
        networks=lenet_weight_decays(),
        digits=LENET_DIGITS,
    script:
        "../scripts/lenet_adversarial.py"


rule lenet_weights:
    input:
        lenet_files("results/lenet/{net}/model.npz"),
    output:
        table="results/lenet/weights_rms.csv",
        png=report(
            "results/figures/5_lenet_filters.png",
            caption="../report/lenet_filters.rst",
            category="LeNet",
            subcategory="Weights",
        ),
        pdf="results/figures/5_lenet_filters.pdf",
    log:
        "logs/lenet/weights.log",
    benchmark:
        "logs/benchmarks/lenet/weights.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=LENET_WEIGHTS_CODE,
        networks=lenet_weight_decays(),
        seed=int(config["lenet"]["seed"]),
    script:
        "../scripts/lenet_weights.py"


rule lenet_summary:
    input:
        histories=lenet_files("results/lenet/{net}/history.csv"),
        temperatures=lenet_files("results/lenet/{net}/temperature.json"),
    output:
        table="results/lenet/summary.csv",
        png=report(
            "results/figures/5_lenet_errors.png",
            caption="../report/lenet_errors.rst",
            category="LeNet",
            subcategory="Training",
        ),
        pdf="results/figures/5_lenet_errors.pdf",
    log:
        "logs/lenet/summary.log",
    benchmark:
        "logs/benchmarks/lenet/summary.tsv"
    conda:
        "../../envs/lenet.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=LENET_SUMMARY_CODE,
        networks=lenet_weight_decays(),
        # the article's final test errors, drawn beside the curves (config claims section)
        article_test_error=lenet_article_test_errors(),
    script:
        "../scripts/lenet_summary.py"
