"""The NumPy flavour's text: the script's sections, as the textbook writes the algorithm.

Each section is source text of the generated script: the imports, f and f′ of each activation,
the forward pass, the two losses, the backward pass, the regularisation gradient, each
optimizer's update rule beside torch.optim's formula, and the training loop. Lines ending in
``#?flag`` / ``#?!flag`` are kept only with / without that flag, and ``<<name>>`` is filled in
(``moment.specialise``, ``moment.fill``); ``numpy_flavour.numpy_script`` puts them together.
"""

from __future__ import annotations

IMPORTS = """
import argparse
import base64
import math
import zlib

import numpy as np
"""

ACTIVATIONS = {
    "relu": '''
def f(Z):
    """ReLU, element-wise: max(0, z)."""
    return np.maximum(Z, 0.0)


def f_prime(Z, A):
    """ReLU′: 1 where z > 0, else 0 (0 at the kink z = 0)."""
    return (Z > 0.0).astype(np.float64)
''',
    "leaky_relu": '''
def f(Z):
    """Leaky ReLU, element-wise: z for z > 0, else 0.01·z."""
    return np.where(Z > 0.0, Z, 0.01 * Z)


def f_prime(Z, A):
    """Leaky ReLU′: 1 for z > 0, else 0.01."""
    return np.where(Z > 0.0, 1.0, 0.01)
''',
    "tanh": '''
def f(Z):
    """tanh, element-wise."""
    return np.tanh(Z)


def f_prime(Z, A):
    """tanh′(z) = 1 − tanh(z)² = 1 − A² (A = f(Z))."""
    return 1.0 - A * A
''',
    "sigmoid": '''
def f(Z):
    """Sigmoid, element-wise: 1 / (1 + e^(−z)), as exp(−log(1 + e^(−z))) (never overflows)."""
    return np.exp(-np.logaddexp(0.0, -Z))


def f_prime(Z, A):
    """σ′(z) = σ(z)·(1 − σ(z)) = A·(1 − A)."""
    return A * (1.0 - A)
''',
    "linear": '''
def f(Z):
    """Identity: A = Z."""
    return Z


def f_prime(Z, A):
    """The identity's derivative: ones."""
    return np.ones_like(Z)
''',
}

NETWORK = '''
# ── forward ─────────────────────────────────────────────────────────────────────────────
# Samples are rows: a batch X is (m, n₀). Layer l = 1..L has Wˡ (nₗ, nₗ₋₁) and bˡ (nₗ,);
# Python lists count from 0, so W[0] is W¹. Here n = <<sizes>>.


def forward(W, b, X, D):  #?dropout
def forward(W, b, X):  #?!dropout
    """Zˡ = Aˡ⁻¹·Wˡᵀ + bˡ and Aˡ = f(Zˡ) for l = 1..L − 1, from A⁰ = X; Zᴸ is the output.
    D[l] is the dropout multiplier of hidden layer l + 1: Aˡ = f(Zˡ) ⊙ Dˡ.  #?dropout

    Returns the lists Z, F (f(Z), before dropout) and A; at the output F = A = Zᴸ.  #?dropout
    Returns the lists Z, F = f(Z) and A (the same as F); at the output F = A = Zᴸ.  #?!dropout
    """
    L = len(W)
    Zs, Fs, As = [], [], []
    A = X  # A⁰ = X                           (m, n₀)
    for l in range(L):
        Z = A @ W[l].T + b[l]  # Zˡ = Aˡ⁻¹·Wˡᵀ + bˡ   (m, nₗ₋₁)·(nₗ₋₁, nₗ) + (nₗ,) → (m, nₗ)
        if l < L - 1:
            F = f(Z)  # f(Zˡ)                     (m, nₗ)
            A = F if D[l] is None else F * D[l]  # Aˡ = f(Zˡ) ⊙ Dˡ  #?dropout
            A = F  #?!dropout
        else:
            F = A = Z  # output layer: <<output_doc>>
        Zs.append(Z)
        Fs.append(F)
        As.append(A)
    return Zs, Fs, As
'''

LOSS_CLASSIFICATION = '''

# ── loss ────────────────────────────────────────────────────────────────────────────────


def softmax_cross_entropy(Z, y):
    """Mean over the batch of −log P[y] with P = softmax(Z); Z (m, classes), y (m,).

    Uses −log P[y] = log Σ exp(s) − s[y] with s = z − max z (finite for any logits).
    Returns (loss, P).
    """
    S = Z - Z.max(axis=1, keepdims=True)  # shifted logits       (m, classes)
    E = np.exp(S)
    sum_E = E.sum(axis=1, keepdims=True)  # (m, 1)
    P = E / sum_E  # softmax                                     (m, classes)
    m = Z.shape[0]
    log_likelihood = S[np.arange(m), y] - np.log(sum_E[:, 0])  # log P[i, yᵢ]  (m,)
    return -float(log_likelihood.sum()) / m, P


def loss_backward(P, Y):
    """dZᴸ = (P − Y) / m, Y one-hot (m, classes): softmax and cross-entropy together."""
    return (P - Y) / P.shape[0]
'''

LOSS_REGRESSION = '''

# ── loss ────────────────────────────────────────────────────────────────────────────────


def mean_squared_error(Y_hat, Y):
    """mean((ŷ − y)²) over the batch and the outputs; Ŷ, Y (m, k)."""
    E = Y_hat - Y
    return float(np.vdot(E, E)) / E.size


def loss_backward(Y_hat, Y):
    """dZᴸ = 2·(Ŷ − Y) / (m·k)."""
    return (Y_hat - Y) * (2.0 / Y.size)
'''

BACKWARD = '''

# ── backward ────────────────────────────────────────────────────────────────────────────


def backward(W, X, Zs, Fs, As, D, dZ):  #?dropout
def backward(W, X, Zs, Fs, As, dZ):  #?!dropout
    """From dZᴸ down to layer 1: dWˡ = dZˡᵀ·Aˡ⁻¹, dbˡ = Σ_rows dZˡ, dAˡ⁻¹ = dZˡ·Wˡ and
    dZˡ⁻¹ = dAˡ⁻¹ ⊙ f′(Zˡ⁻¹). Returns the lists dW, db (shaped like W, b).  #?!dropout
    dZˡ⁻¹ = dAˡ⁻¹ ⊙ Dˡ⁻¹ ⊙ f′(Zˡ⁻¹). Returns the lists dW, db (shaped like W, b).  #?dropout
    """
    L = len(W)
    dW, db = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        A_prev = As[l - 1] if l > 0 else X  # Aˡ⁻¹            (m, nₗ₋₁)
        dW[l] = dZ.T @ A_prev  # dWˡ = dZˡᵀ·Aˡ⁻¹  (nₗ, m)·(m, nₗ₋₁) → (nₗ, nₗ₋₁)
        db[l] = dZ.sum(axis=0)  # dbˡ = Σ_rows dZˡ                 (nₗ,)
        if l > 0:
            dA = dZ @ W[l]  # dAˡ⁻¹ = dZˡ·Wˡ   (m, nₗ)·(nₗ, nₗ₋₁) → (m, nₗ₋₁)
            if D[l - 1] is not None:  #?dropout
                dA = dA * D[l - 1]  # through the dropout: ⊙ Dˡ⁻¹  #?dropout
            dZ = dA * f_prime(Zs[l - 1], Fs[l - 1])  # dZˡ⁻¹ = dAˡ⁻¹ ⊙ f′(Zˡ⁻¹)
    return dW, db
'''

REGULARISATION = {
    "both": (
        "L2·Wˡ + L1·sign(Wˡ)",
        "[L2 * Wl + L1 * np.sign(Wl) for Wl in W]",
    ),
    "l2": ("L2·Wˡ", "[L2 * Wl for Wl in W]"),
    "l1": ("L1·sign(Wˡ)", "[L1 * np.sign(Wl) for Wl in W]"),
}

REGULARISATION_TEMPLATE = '''

def regularization_gradient(W):
    """∂/∂Wˡ of L1·Σ|W| + (L2/2)·ΣW² over the weights (biases are not regularised):
    <<formula>> (sign(0) = 0: a weight at exactly 0 gets no L1 push)."""
    return <<expression>>
'''

OPTIMIZERS = {
    "sgd": '''

# ── update ──────────────────────────────────────────────────────────────────────────────


def update(params, grads, state):
    """torch.optim.SGD: p ← p − η·g. Plain SGD keeps no state."""
    new = [p + (-LEARNING_RATE) * g for p, g in zip(params, grads, strict=True)]
    return new, state
''',
    "momentum": '''

# ── update ──────────────────────────────────────────────────────────────────────────────


def update(params, grads, state):
    """torch.optim.SGD(momentum=μ): buf ← g at the first step, then buf ← μ·buf + g;
    p ← p − η·buf."""
    bufs = state["momentum_buffer"]
    new, new_bufs = [], []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        buf = g if bufs is None else MOMENTUM * bufs[i] + g
        new.append(p + (-LEARNING_RATE) * buf)
        new_bufs.append(buf)
    return new, {"t": state["t"] + 1, "momentum_buffer": new_bufs}
''',
    "nesterov": '''

# ── update ──────────────────────────────────────────────────────────────────────────────


def update(params, grads, state):
    """torch.optim.SGD(momentum=μ, nesterov=True): buf ← g at the first step, then
    buf ← μ·buf + g; p ← p − η·(g + μ·buf)."""
    bufs = state["momentum_buffer"]
    new, new_bufs = [], []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        buf = g if bufs is None else MOMENTUM * bufs[i] + g
        new.append(p + (-LEARNING_RATE) * (g + MOMENTUM * buf))
        new_bufs.append(buf)
    return new, {"t": state["t"] + 1, "momentum_buffer": new_bufs}
''',
    "rmsprop": '''

# ── update ──────────────────────────────────────────────────────────────────────────────
ALPHA = 0.99  # torch.optim.RMSprop's defaults
EPS = 1e-8


def update(params, grads, state):
    """torch.optim.RMSprop(alpha=0.99, eps=1e-8), not centred: from square_avg = 0,
    square_avg ← α·square_avg + (1 − α)·g²;  p ← p − η·g / (√square_avg + eps)."""
    new, new_avgs = [], []
    for p, g, square_avg in zip(params, grads, state["square_avg"], strict=True):
        square_avg = ALPHA * square_avg + (1.0 - ALPHA) * (g * g)
        new.append(p + ((-LEARNING_RATE) * g) / (np.sqrt(square_avg) + EPS))
        new_avgs.append(square_avg)
    return new, {"t": state["t"] + 1, "square_avg": new_avgs}
''',
    "adam": '''

# ── update ──────────────────────────────────────────────────────────────────────────────
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # torch.optim.Adam's defaults


def update(params, grads, state):
    """torch.optim.Adam(betas=(0.9, 0.999), eps=1e-8), from exp_avg = exp_avg_sq = 0:
    exp_avg ← exp_avg + (1 − β₁)·(g − exp_avg)   (torch's lerp),
    exp_avg_sq ← β₂·exp_avg_sq + (1 − β₂)·g²,
    p ← p − (η / (1 − β₁ᵗ))·exp_avg / (√exp_avg_sq / √(1 − β₂ᵗ) + eps)  (t counts from 1)."""
    t = state["t"] + 1
    step_size = LEARNING_RATE / (1.0 - BETA1**t)
    bias_correction2_sqrt = math.sqrt(1.0 - BETA2**t)
    new, ms, vs = [], [], []
    for p, g, m, v in zip(params, grads, state["exp_avg"], state["exp_avg_sq"], strict=True):
        m = m + (1.0 - BETA1) * (g - m)
        v = BETA2 * v + (1.0 - BETA2) * (g * g)
        denom = np.sqrt(v) / bias_correction2_sqrt + EPS
        new.append(p + ((-step_size) * m) / denom)
        ms.append(m)
        vs.append(v)
    return new, {"t": t, "exp_avg": ms, "exp_avg_sq": vs}
''',
}

INITIAL_STATE = {
    "sgd": '{"t": 0}',
    "momentum": '{"t": T_NOW, "momentum_buffer": momentum_buffer_now}',
    "nesterov": '{"t": T_NOW, "momentum_buffer": momentum_buffer_now}',
    "rmsprop": '{"t": T_NOW, "square_avg": square_avg_now}',
    "adam": '{"t": T_NOW, "exp_avg": exp_avg_now, "exp_avg_sq": exp_avg_sq_now}',
}

TRAINING = '''

# ── one training step ───────────────────────────────────────────────────────────────────


def dropout_multipliers(rng, m, W):  #?dropout
    """Inverted dropout, drawn as the app draws it: per hidden layer, first to last, a  #?dropout
    keep-mask rng.random((m, units)) ≥ p; D = mask / (1 − p) (kept units are scaled up so  #?dropout
    that the expected activation stays the same). None for the output layer."""  #?dropout
    scale = 1.0 / (1.0 - DROPOUT)  #?dropout
    D = []  #?dropout
    for Wl in W[:-1]:  #?dropout
        mask = rng.random((m, Wl.shape[0])) >= DROPOUT  # True = kept   (m, nₗ)  #?dropout
        D.append(np.multiply(mask, scale, dtype=np.float64))  #?dropout
    return [*D, None]  #?dropout
  #?dropout
  #?dropout
def train_step(W, b, state, X, y, Y, D):  #?dropout
def train_step(W, b, state, X, y, Y):  #?!dropout
    """Forward, loss, backward, update on one batch. Returns (loss, W, b, state)."""
    Zs, Fs, As = forward(W, b, X, D)  #?dropout
    Zs, Fs, As = forward(W, b, X)  #?!dropout
    loss, P = softmax_cross_entropy(Zs[-1], y)  # P = softmax(Zᴸ)  #?cls
    dZ = loss_backward(P, Y)  # dZᴸ  #?cls
    loss = mean_squared_error(Zs[-1], Y)  # Ŷ = Zᴸ  #?reg_task
    dZ = loss_backward(Zs[-1], Y)  # dZᴸ  #?reg_task
    dW, db = backward(W, X, Zs, Fs, As, D, dZ)  #?dropout
    dW, db = backward(W, X, Zs, Fs, As, dZ)  #?!dropout
    dW = [g + r for g, r in zip(dW, regularization_gradient(W), strict=True)]  #?reg
    params = [p for l in range(len(W)) for p in (W[l], b[l])]  # W¹, b¹, W², b², …
    grads = [g for l in range(len(W)) for g in (dW[l], db[l])]
    params, state = update(params, grads, state)
    return loss, params[0::2], params[1::2], state


def evaluate(W, b, X, y):
    """Loss and accuracy of a whole set (no dropout)."""  #?cls
    """Loss of a whole set (no dropout)."""  #?reg_task
    Zs, _, _ = forward(W, b, X, [None] * len(W))  #?dropout
    Zs, _, _ = forward(W, b, X)  #?!dropout
    loss, P = softmax_cross_entropy(Zs[-1], y)  #?cls
    return loss, float((P.argmax(axis=1) == y).mean())  #?cls
    return mean_squared_error(Zs[-1], y)  #?reg_task


def generator(state):
    """A NumPy generator continuing exactly from a saved PCG64 state."""
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = state
    return rng


# ── training ────────────────────────────────────────────────────────────────────────────


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="steps to train")
    parser.add_argument("--save", metavar="PATH", help="write the final weights to an .npz")
    args = parser.parse_args()
    Y_train = np.eye(N_CLASSES)[y_train]  # one-hot labels  (n, classes)  #?cls
    Y_train = y_train  # regression: the targets themselves  #?reg_task
    W, b, state = W_now, b_now, <<initial_state>>
    order, position, epoch, n = order_now, POSITION, EPOCH, len(X_train)
    rng_order = generator(RNG_ORDER)
    rng_dropout = generator(RNG_DROPOUT)  #?dropout
    for step in range(STEP + 1, STEP + args.steps + 1):
        idx = order[position : position + BATCH_SIZE]  # this batch's rows of the training set
        D = dropout_multipliers(rng_dropout, len(idx), W)  #?dropout
        X, y, Y = X_train[idx], y_train[idx], Y_train[idx]
        loss, W, b, state = train_step(W, b, state, X, y, Y, D)  #?dropout
        loss, W, b, state = train_step(W, b, state, X, y, Y)  #?!dropout
        if not (math.isfinite(loss) and all(np.isfinite(p).all() for p in W + b)):
            print(f"step={step} diverged: a value is not finite (learning rate too high?)")
            break
        print(f"step={step} batch_loss={loss!r}")
        position += len(idx)
        if position >= n:  # the epoch is complete: the next one takes a new order
            epoch, position = epoch + 1, 0
            order = rng_order.permutation(n)
    train_loss, train_accuracy = evaluate(W, b, X_train, y_train)  #?cls
    print(f"train_loss={train_loss!r} train_accuracy={train_accuracy!r}")  #?cls
    print(f"train_loss={evaluate(W, b, X_train, y_train)!r}")  #?reg_task
    if len(X_test):
        test_loss, test_accuracy = evaluate(W, b, X_test, y_test)  #?cls
        print(f"test_loss={test_loss!r} test_accuracy={test_accuracy!r}")  #?cls
        print(f"test_loss={evaluate(W, b, X_test, y_test)!r}")  #?reg_task
    if args.save:
        arrays = {f"{name}{l}": a for l in range(1, len(W) + 1)
                  for name, a in (("W", W[l - 1]), ("b", b[l - 1]))}
        np.savez(args.save, **arrays)


if __name__ == "__main__":
    main()
'''
