# Explorer stage: results/explorer/index.html, one offline page where a user picks a digit
# pair and slides over every lambda of the run (tilting plane, y d(x) histograms, mirror
# images, theta / d_adv / errors against lambda), with a LeNet tab of adversarial examples.


include: "explorer_helpers.smk"


rule explorer:
    input:
        unpack(explorer_inputs),
    output:
        report(
            "results/explorer/index.html",
            caption="../report/explorer.rst",
            category="Explorer",
            labels={"page": "run explorer"},
        ),
    log:
        "logs/explorer/explorer.log",
    benchmark:
        "logs/benchmarks/explorer/explorer.tsv"
    conda:
        "../../envs/explorer.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        pairs=explorer_pairs(),
        networks=explorer_networks(),
        settings=explorer_settings(),
        code=EXPLORER_CODE,
    script:
        "../scripts/explorer.py"
