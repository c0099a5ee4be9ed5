"""Training arguments, the training loop, single steps and evaluation."""

from backbone.training.args import OPTIMIZERS, TrainArgs
from backbone.training.loop import StepInfo, TrainResult, evaluate, evaluate_per_sample, train
from backbone.training.precision import Precision, resolve_precision, use_channels_last
from backbone.training.steps import (
    TrainingSetup,
    eval_step,
    make_optimizer,
    prepare_training,
    to_device,
    train_step,
)

__all__ = [
    "OPTIMIZERS",
    "Precision",
    "StepInfo",
    "TrainArgs",
    "TrainResult",
    "TrainingSetup",
    "eval_step",
    "evaluate",
    "evaluate_per_sample",
    "make_optimizer",
    "prepare_training",
    "resolve_precision",
    "to_device",
    "train",
    "train_step",
    "use_channels_last",
]
