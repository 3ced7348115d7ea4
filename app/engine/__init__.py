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
from app.engine.data import DATASETS, Dataset, DataSpec, make_dataset, parse_csv
from app.engine.diagnostics import Diagnostics, LayerDiagnostics
from app.engine.features import FEATURES
from app.engine.gradcheck import GradCheckResult
from app.engine.history import History
from app.engine.init import INITS
from app.engine.legacy import from_release1
from app.engine.losses import OUTPUT_HEADS, OutputHead
from app.engine.metrics import Chunk, Metrics
from app.engine.optimizers import OPTIMIZERS, OptimizerState
from app.engine.options import OPTIONS, RANGES
from app.engine.records import IterationRecord, LayerRecord, Phase
from app.engine.state import STATE_FORMAT, StateFormatError, TrainerState, from_arrays, to_arrays
from app.engine.trainer import Diverged, GridOutput, Trainer

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "FEATURES",
    "HYPERPARAMETERS",
    "INITS",
    "OPTIMIZERS",
    "OPTIONS",
    "OUTPUT_HEADS",
    "RANGES",
    "STATE_FORMAT",
    "Chunk",
    "DataSpec",
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
    "OutputHead",
    "Phase",
    "StateFormatError",
    "TrainConfig",
    "Trainer",
    "TrainerState",
    "from_arrays",
    "from_release1",
    "make_dataset",
    "parse_csv",
    "to_arrays",
]
