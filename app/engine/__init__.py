"""Backprop Lab's training engine: pure NumPy, deterministic, every step recorded.

A fully connected network trained by backpropagation in textbook notation (``W``, ``b``,
``Z``, ``A``, ``dZ``, ``dW``, ``db``, ``dA``), with torch.optim's update rules, TF
Playground's 2-D data sets, the 8×8 digits and user CSVs. One ``Trainer.train_step()``
returns one immutable ``IterationRecord``; ``History`` rewinds to any recent step exactly.
Imports only NumPy and the standard library.

>>> from app.engine import TrainConfig, Trainer
>>> trainer = Trainer(TrainConfig(dataset="xor", hidden=(8,), learning_rate=0.1))
>>> record = trainer.train_step()
>>> record.layers[0].dW.shape
(8, 2)
"""

from app.engine.activations import ACTIVATIONS
from app.engine.config import HYPERPARAMETERS, TrainConfig
from app.engine.datasets import DATASETS, Dataset, make_dataset, parse_csv
from app.engine.diagnostics import Diagnostics, LayerDiagnostics
from app.engine.features import FEATURES
from app.engine.gradcheck import GradCheckResult
from app.engine.history import History
from app.engine.init import INITS
from app.engine.optimizers import OPTIMIZERS, OptimizerState
from app.engine.records import IterationRecord, LayerRecord, Phase
from app.engine.trainer import Diverged, GridOutput, Metrics, Trainer, TrainerState

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "FEATURES",
    "HYPERPARAMETERS",
    "INITS",
    "OPTIMIZERS",
    "Dataset",
    "Diagnostics",
    "Diverged",
    "GradCheckResult",
    "GridOutput",
    "History",
    "IterationRecord",
    "LayerDiagnostics",
    "LayerRecord",
    "Metrics",
    "OptimizerState",
    "Phase",
    "TrainConfig",
    "Trainer",
    "TrainerState",
    "make_dataset",
    "parse_csv",
]
