"""The PyTorch flavour: the same network as ``torch.nn.Sequential``, trained by ``torch.optim``.

The data order and the dropout masks come from NumPy generators restored from the app's
states (torch's own generators would give other batches and masks). Matrix products and
autograd sum in another order than NumPy: over 8-40 steps of the tests' 13 sessions the batch
losses, weights and metrics differed from the app's by at most 4.8e-14 (relative).
"""

from __future__ import annotations

from app.engine import OPTIMIZERS as SLOTS
from app.takehome.common import data_source, header, script_flags, settings_source
from app.takehome.moment import Moment, fill, specialise

IMPORTS = """
import argparse
import base64
import math
import zlib

import numpy as np
import torch
import torch.nn.functional as F
"""

SETUP = """
torch.set_default_dtype(torch.float64)  # the app computes in float64
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)  # one thread: the same summation order on every run

"""

MODULES = {
    "relu": "torch.nn.ReLU()",
    "leaky_relu": "torch.nn.LeakyReLU(0.01)",
    "tanh": "torch.nn.Tanh()",
    "sigmoid": "torch.nn.Sigmoid()",
    "linear": "torch.nn.Identity()",
}

OPTIMIZERS = {
    "sgd": ("torch.optim.SGD(params, lr=LEARNING_RATE)", ()),
    "momentum": ("torch.optim.SGD(params, lr=LEARNING_RATE, momentum=MOMENTUM)", ()),
    "nesterov": (
        "torch.optim.SGD(params, lr=LEARNING_RATE, momentum=MOMENTUM, nesterov=True)",
        (),
    ),
    "rmsprop": ("torch.optim.RMSprop(params, lr=LEARNING_RATE, alpha=0.99, eps=1e-8)", ("step",)),
    "adam": (
        "torch.optim.Adam(params, lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)",
        ("step",),
    ),
}

DROPOUT_MODULE = '''

class FixedDropout(torch.nn.Module):
    """Inverted dropout with given multipliers D = mask / (1 − p), (m, units).

    The masks are drawn with NumPy exactly as the app draws them (torch.nn.Dropout would draw
    others): set .D before a forward pass, None for no dropout.
    """

    def __init__(self):
        super().__init__()
        self.D = None

    def forward(self, A):
        return A if self.D is None else A * self.D


def dropout_multipliers(rng, m, sizes):
    """Per hidden layer, first to last, a keep-mask rng.random((m, units)) ≥ p, scaled by
    1 / (1 − p) so that the expected activation stays the same."""
    scale = 1.0 / (1.0 - DROPOUT)
    D = []
    for units in sizes:
        mask = rng.random((m, units)) >= DROPOUT  # True = kept   (m, units)
        D.append(torch.from_numpy(np.multiply(mask, scale, dtype=np.float64)))
    return D
'''

BODY = '''

def regularization(linears):  #?reg
    """L1·Σ|W| + (L2/2)·ΣW² over the weights, not the biases. Autograd's d|w|/dw at w = 0 is  #?reg
    sign(0) = 0, as in the app."""  #?reg
    total = 0.0  #?reg
    for layer in linears:  #?reg
        total = total + L1 * layer.weight.abs().sum()  #?l1
        total = total + 0.5 * L2 * (layer.weight * layer.weight).sum()  #?l2
    return total  #?reg
  #?reg
  #?reg
def make_optimizer(model):
    params = list(model.parameters())  # W¹, b¹, W², b², …: the app's order
    optimizer = <<optimizer>>
    if T_NOW > 0:  # load the state the app's optimizer has now  #?has_state
        state = optimizer.state_dict()  #?has_state
        state["state"] = {  #?has_state
            i: {  #?has_state
<<state_entries>>  #?has_state
            }  #?has_state
            for i in range(len(params))  #?has_state
        }  #?has_state
        optimizer.load_state_dict(state)  #?has_state
    return optimizer


def generator(state):
    """A NumPy generator continuing exactly from a saved PCG64 state."""
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = state
    return rng


@torch.no_grad()
def evaluate(model, X, y):
    """Loss and accuracy of a whole set (no dropout)."""  #?cls
    """Loss of a whole set (no dropout)."""  #?reg_task
    Z = model(X)
    P = torch.softmax(Z, dim=1)  #?cls
    accuracy = (P.argmax(dim=1) == y).double().mean().item()  #?cls
    return F.cross_entropy(Z, y).item(), accuracy  #?cls
    return F.mse_loss(Z, y).item()  #?reg_task


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="steps to train")
    parser.add_argument("--save", metavar="PATH", help="write the final weights to an .npz")
    args = parser.parse_args()
    model = torch.nn.Sequential(
<<layers>>
    )
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    dropouts = [layer for layer in model if isinstance(layer, FixedDropout)]  #?dropout
    with torch.no_grad():
        for layer, W, b in zip(linears, W_now, b_now, strict=True):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = make_optimizer(model)
    X_train_t, y_train_t = torch.from_numpy(X_train), torch.from_numpy(y_train)
    order, position, epoch, n = order_now, POSITION, EPOCH, len(X_train)
    rng_order = generator(RNG_ORDER)
    rng_dropout = generator(RNG_DROPOUT)  #?dropout
    hidden = [len(bl) for bl in b_now[:-1]]  # units of each hidden layer  #?dropout
    for step in range(STEP + 1, STEP + args.steps + 1):
        idx = order[position : position + BATCH_SIZE]  # this batch's rows of the training set
        masks = dropout_multipliers(rng_dropout, len(idx), hidden)  #?dropout
        for layer, D in zip(dropouts, masks, strict=True):  #?dropout
            layer.D = D  #?dropout
        X, y = X_train_t[idx], y_train_t[idx]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)  # mean of −log softmax(Zᴸ)[y]  #?cls
        loss = F.mse_loss(model(X), y)  # mean of (ŷ − y)²  #?reg_task
        (loss + regularization(linears)).backward()  #?reg
        loss.backward()  #?!reg
        optimizer.step()
        batch_loss = loss.item()
        if not (math.isfinite(batch_loss) and all(p.isfinite().all() for p in model.parameters())):
            print(f"step={step} diverged: a value is not finite (learning rate too high?)")
            break
        print(f"step={step} batch_loss={batch_loss!r}")
        position += len(idx)
        if position >= n:  # the epoch is complete: the next one takes a new order
            epoch, position = epoch + 1, 0
            order = rng_order.permutation(n)
    for layer in dropouts:  #?dropout
        layer.D = None  #?dropout
    X_test_t, y_test_t = torch.from_numpy(X_test), torch.from_numpy(y_test)
    train_loss, train_accuracy = evaluate(model, X_train_t, y_train_t)  #?cls
    print(f"train_loss={train_loss!r} train_accuracy={train_accuracy!r}")  #?cls
    print(f"train_loss={evaluate(model, X_train_t, y_train_t)!r}")  #?reg_task
    if len(X_test):
        test_loss, test_accuracy = evaluate(model, X_test_t, y_test_t)  #?cls
        print(f"test_loss={test_loss!r} test_accuracy={test_accuracy!r}")  #?cls
        print(f"test_loss={evaluate(model, X_test_t, y_test_t)!r}")  #?reg_task
    if args.save:
        arrays = {}
        for l, layer in enumerate(linears, 1):
            arrays[f"W{l}"] = layer.weight.detach().numpy()
            arrays[f"b{l}"] = layer.bias.detach().numpy()
        np.savez(args.save, **arrays)


if __name__ == "__main__":
    main()
'''


def _layers(m: Moment) -> str:
    lines = []
    L = m.layers
    for l in range(1, L + 1):
        n_in, n_out = m.sizes[l - 1], m.sizes[l]
        note = f"W{l} ({n_out}, {n_in}), b{l} ({n_out},)"
        if l == L:
            note += "; logits (softmax: in the loss)" if m.task == "classification" else "; Ŷ"
        lines.append(f"        torch.nn.Linear({n_in}, {n_out}),  # {note}")
        if l < L:
            lines.append(f"        {MODULES[m.config.activation]},")
            if m.dropout_active:
                lines.append("        FixedDropout(),")
    return "\n".join(lines)


def torch_script(m: Moment, steps: int) -> str:
    """The PyTorch flavour's source for ``steps`` steps from moment ``m``."""
    cfg = m.config
    flags = {
        **script_flags(m),
        "l1": bool(cfg.l1),
        "l2": bool(cfg.l2),
        "has_state": m.has_state,
    }
    make, extra = OPTIMIZERS[cfg.optimizer]
    entries = [f'"{name}": torch.from_numpy({name}_now[i])' for name in SLOTS[cfg.optimizer]]
    if "step" in extra:
        entries.insert(0, '"step": torch.tensor(float(T_NOW))')
    body = fill(
        specialise(BODY, **flags),
        {
            "optimizer": make,
            "state_entries": "\n".join(f"                {e}," for e in entries),
            "layers": _layers(m),
        },
    )
    needs = "Python 3.10+, NumPy and PyTorch (CPU is enough)"
    if not flags["reg"]:
        body = body.replace("\n\n\n\ndef make_optimizer", "\n\ndef make_optimizer")
    parts = [
        header(m, "torch", steps, needs, "to ~1e-13 relative: torch sums in another order"),
        IMPORTS,
        SETUP,
        settings_source(m, steps),
        data_source(m),
        DROPOUT_MODULE if m.dropout_active else "",
        body,
    ]
    return "".join(p if p.endswith("\n") or not p else p + "\n" for p in parts)
