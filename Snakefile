# boundary-tilting: Tanay & Griffin's boundary tilting study, from raw MNIST to figures.
# Run: snakemake --cores N  (see README.md). Stages live in workflow/rules/.
import os
import sys

sys.path.insert(0, os.path.join(workflow.basedir, "workflow", "scripts"))

from tilting import settings as tilting_settings  # noqa: E402

# The repo's config.yaml holds every key and its default; --configfile files are merged over
# it. Each is read again by our own reader: a syntax error then names the file and the line, and
# a key given twice (which Snakemake's reader takes silently, the last one winning) stops the run.
# sys.exit: one line, where a raised error would add Snakemake's traceback.
for config_path in [
    os.path.join(workflow.basedir, "config.yaml"),
    *workflow.overwrite_configfiles,
]:
    try:
        tilting_settings.load_config_file(config_path)
    except tilting_settings.ConfigError as err:
        sys.exit(f"invalid config: {err}")


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/svm.smk"
include: "workflow/rules/toy.smk"
include: "workflow/rules/lenet.smk"
include: "workflow/rules/lenet_study.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/explorer.smk"


# Every file a job writes, the intermediate ones too (models, samples, attacks): Snakemake
# remakes a missing file only for a target or a consumer that runs, so a file removed by a
# killed run (Snakemake deletes an output before redoing its job) would stay missing.
rule all:
    default_target: True
    input:
        data_targets(),
        svm_targets(),
        toy_targets(),
        lenet_targets(),
        lenet_study_targets(),
        report_targets(),
        explorer_targets(),
