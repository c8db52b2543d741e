# Data stage: the MNIST archive and one training/test sample per digit pair.


include: "data_helpers.smk"


# No input and no path among the params: every file's md5 is checked against data.checksums, so
# where MNIST is read (data.offline_dir) or downloaded (data.download_dir) changes nothing. A
# moved MNIST folder, a switch between download and local files, or a source file touched or
# damaged after the archive was written reruns no job (a rerun would first delete the archive).
rule mnist:
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
        checksums=sorted_mapping(config["data"]["checksums"]),
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
