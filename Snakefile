# boundary-tilting: Tanay & Griffin's boundary tilting study, from raw MNIST to figures.
# Run: snakemake --cores N  (see README.md). Stages live in workflow/rules/.
import os


# The repo's config.yaml holds the defaults; --configfile files are merged over it.
configfile: os.path.join(workflow.basedir, "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/svm.smk"
include: "workflow/rules/toy.smk"
include: "workflow/rules/lenet.smk"
include: "workflow/rules/lenet_study.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        data_targets(),
        svm_targets(),
        toy_targets(),
        lenet_targets(),
        lenet_study_targets(),
        report_targets(),
