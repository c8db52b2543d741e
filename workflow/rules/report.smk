# Report stage: the final tables of results/tables/ and the claims table (method §6).


include: "report_helpers.smk"


rule report_table:
    input:
        report_table_inputs,
    output:
        report(
            "results/tables/{table}.csv",
            category="Tables",
            caption="../report/tables.rst",
            labels={"table": "{table}"},
        ),
    log:
        "logs/report/tables/{table}.log",
    benchmark:
        "logs/benchmarks/report/tables/{table}.tsv"
    wildcard_constraints:
        table="|".join(REPORT_TABLES),
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=CLAIMS_CODE,
        nets=report_table_nets,
    script:
        "../scripts/claims_tables.py"


rule claims:
    input:
        unpack(claims_inputs),
    output:
        csv=report(
            "results/tables/claims.csv",
            category="Claims",
            caption="../report/claims_csv.rst",
            labels={"table": "claims (CSV)"},
        ),
        html=report(
            "results/tables/claims.html",
            category="Claims",
            caption="../report/claims.rst",
            labels={"table": "claims"},
        ),
        markdown="results/tables/claims.md",
    log:
        "logs/report/claims.log",
    benchmark:
        "logs/benchmarks/report/claims.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=CLAIMS_CODE,
        criteria=sorted_mapping(config.get("claims", {})),
    script:
        "../scripts/claims.py"
