# lenet stage: rules only; its input functions and targets are in common.smk.
