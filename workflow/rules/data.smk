# Data stage: the MNIST archive and one training/test sample per digit pair.


include: "data_helpers.smk"


rule mnist:
    input:
        mnist_source_files,
    output:
        "results/data/mnist.npz",
    log:
        "logs/data/mnist.log",
    benchmark:
        "logs/benchmarks/data/mnist.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        download_dir=mnist_download_dir(),
        checksums=dict(config["data"]["checksums"]),
        code=MNIST_CODE,
    script:
        "../scripts/mnist.py"


rule pair_data:
    input:
        "results/data/mnist.npz",
    output:
        "results/data/pairs/{pair}.npz",
    log:
        "logs/data/pairs/{pair}.log",
    benchmark:
        "logs/benchmarks/data/pairs/{pair}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        sample=pair_sample_params(),
        code=PAIR_DATA_CODE,
    script:
        "../scripts/pair_data.py"
