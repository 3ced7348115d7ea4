"""The parts both flavours share: the header, the session's settings and the embedded data."""

from __future__ import annotations

import dataclasses
import textwrap

from app.engine import OPTIMIZERS
from app.takehome.embed import UNPACK_SOURCE
from app.takehome.moment import Moment

ACTIVATION_TEXT = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "linear": "linear",
}


def filename(step: int, flavour: str) -> str:
    """The download's name, e.g. ``backprop-lab-step-12-numpy.py``."""
    return f"backprop-lab-step-{step}-{flavour}.py"


def script_flags(m: Moment) -> dict[str, bool]:
    """The ``#?flag`` switches both flavours' templates use: ``dropout`` (active at this
    moment), ``cls`` / ``reg_task`` (the task) and ``reg`` (L1 or L2 regularisation)."""
    return {
        "dropout": m.dropout_active,
        "cls": m.task == "classification",
        "reg_task": m.task == "regression",
        "reg": bool(m.config.l1 or m.config.l2),
    }


def _config_lines(m: Moment) -> list[str]:
    parts = []
    for f in dataclasses.fields(m.config):
        value = getattr(m.config, f.name)
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value) or "(none)"
        elif isinstance(value, float):
            value = repr(value)
        parts.append(f"{f.name}={value}")
    return textwrap.wrap(" ".join(parts), 88, break_on_hyphens=False)


def architecture(m: Moment) -> str:
    act = ACTIVATION_TEXT[m.config.activation]
    hidden = "".join(f" → {n} ({act})" for n in m.sizes[1:-1])
    head = "softmax + cross-entropy" if m.task == "classification" else "identity + squared error"
    return f"{m.sizes[0]} inputs{hidden} → {m.sizes[-1]} ({head})"


def _paragraph(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        92,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def header(m: Moment, flavour: str, steps: int, needs: str, agreement: str) -> str:
    """The module docstring: where the file came from, how to run it, what it prints."""
    name = filename(m.step, flavour)
    first, last = m.step + 1, m.step + steps
    title = {
        "numpy": "the same training continued from scratch, in NumPy only",
        "torch": "the same training continued in PyTorch",
    }[flavour]
    generators = "data order and dropout masks" if m.dropout_active else "data order"
    metrics = "loss and accuracy" if m.task == "classification" else "loss"
    lines = [
        f"Backprop Lab at step {m.step}: {title}.",
        "",
        *_paragraph(
            f"Exported from a Backprop Lab session after {m.step} training steps (epoch "
            f"{m.epoch}; {m.position} of this epoch's {m.n_train} training samples used), "
            "with the settings"
        ),
        *_paragraph(" ".join(_config_lines(m)), "    "),
        f"Network: {architecture(m)}.",
        *_paragraph(
            f"Embedded below, exactly (float64): the data ({m.n_train} training and "
            f"{m.n_test} test samples, inputs already computed), the weights, the optimizer's "
            f"state, this epoch's order of the training samples and the states of the app's "
            f"random generators ({generators})."
        ),
        "",
        f"Run it:  python3 {name} [--steps N] [--save weights.npz]",
        *_paragraph(
            f"(needs {needs}). --steps defaults to {steps}; --save writes the final weights "
            "W1, b1, W2, b2, … to an .npz file."
        ),
        "",
        *_paragraph(
            "It prints one line per training step, numbered as the app numbers them, with the "
            "batch's loss (the data loss, without L1/L2) as Python writes the float:"
        ),
        f"    step={first} batch_loss=…",
        "    …",
        f"    step={last} batch_loss=…",
        *_paragraph(
            f"and then the {metrics} of the whole training set (train_loss=…) and test set "
            f"(test_loss=…). These are the app's numbers: its steps {first}..{last} show the "
            f"same batch losses, and after them it holds the same weights ({agreement})."
        ),
    ]
    return '"""' + "\n".join(lines) + '\n"""\n'


def settings_source(m: Moment, steps: int) -> str:
    """The session's settings as constants."""
    cfg = m.config
    rows = [
        ("STEPS", steps, "steps to train (--steps)"),
        ("STEP", m.step, f"updates done so far: the next is step {m.step + 1}"),
        ("EPOCH", m.epoch, "completed passes over the training set"),
        ("POSITION", m.position, "samples of this epoch's order already used"),
        ("LEARNING_RATE", repr(cfg.learning_rate), "η"),
        ("BATCH_SIZE", cfg.batch_size, "m (the epoch's last batch may be smaller)"),
    ]
    if cfg.optimizer in ("momentum", "nesterov"):
        rows.append(("MOMENTUM", repr(cfg.momentum), "μ"))
    if cfg.l1 or cfg.l2:
        rows.append(("L1", repr(cfg.l1), "adds L1·Σ|W| to the loss (weights only)"))
        rows.append(("L2", repr(cfg.l2), "adds (L2/2)·ΣW² to the loss (weights only)"))
    if m.dropout_active:
        rows.append(("DROPOUT", repr(cfg.dropout), "p: each hidden unit is dropped with it"))
    if m.task == "classification":
        rows.append(("N_CLASSES", m.n_classes, ""))
    width = max(len(f"{k} = {v}") for k, v, _ in rows)
    out = []
    for key, value, note in rows:
        text = f"{key} = {value}"
        out.append(f"{text:<{width}}  # {note}" if note else text)
    return "\n".join(out) + "\n"


def _features(m: Moment) -> str:
    names = m.feature_names
    if len(names) <= 6:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, …, {names[-1]}"


def data_source(m: Moment) -> str:
    """The unpack helper, the data, the weights, the optimizer state and the generators."""
    s = m.sources
    d = m.sizes[0]
    if m.task == "classification":
        y_doc = f"class indices 0..{m.n_classes - 1}"
    else:
        y_doc = f"targets, {m.sizes[-1]} per sample"
    parts = [
        "\n\n" + UNPACK_SOURCE,
        "",
        *_paragraph(
            f"Data: one sample per row, {d} inputs ({_features(m)}); labels are {y_doc}.", "# "
        ),
        f"X_train = {s['X_train']}",
        f"y_train = {s['y_train']}",
        f"X_test = {s['X_test']}",
        f"y_test = {s['y_test']}",
        "",
        "# Weights and biases now: W[l - 1] is the textbook Wˡ (units of layer l, units of l − 1).",
        "W_now = [",
        *(f"    {s[f'W{l}']}," for l in range(1, m.layers + 1)),
        "]",
        "b_now = [",
        *(f"    {s[f'b{l}']}," for l in range(1, m.layers + 1)),
        "]",
    ]
    slot_names = OPTIMIZERS[m.config.optimizer]
    if slot_names:
        parts.append("")
        if m.has_state:
            parts.append(
                f"# The optimizer's state after {m.t} updates, per parameter W1, b1, W2, b2, …"
            )
            for name in slot_names:
                parts.append(f"{name}_now = [")
                for l in range(1, m.layers + 1):
                    parts.append(f"    {s[f'{name}_W{l}']},")
                    parts.append(f"    {s[f'{name}_b{l}']},")
                parts.append("]")
        elif slot_names == ("momentum_buffer",):
            parts.append("# No update since the optimizer was chosen: torch.optim.SGD sets")
            parts.append("# momentum_buffer = g at its first step.")
            parts.append("momentum_buffer_now = None")
        else:
            parts.append("# No update since the optimizer was chosen: its state starts at 0.")
            for name in slot_names:
                parts.append(
                    f"{name}_now = [np.zeros_like(p) for Wl, bl in zip(W_now, b_now, "
                    "strict=True) for p in (Wl, bl)]"
                )
        parts.append(f"T_NOW = {m.t}  # updates the optimizer has made")
    parts += [
        "",
        f"# This epoch's order of the {m.n_train} training samples; batches take it in turn.",
        f"order_now = {s['order']}",
        "# The app's NumPy generators (PCG64) as they are now: the one that shuffles each new",
        "# epoch" + (" and the one that draws the dropout masks." if m.dropout_active else "."),
        f"RNG_ORDER = {s['rng_order']}",
    ]
    if m.dropout_active:
        parts.append(f"RNG_DROPOUT = {s['rng_dropout']}")
    return "\n".join(parts) + "\n"
