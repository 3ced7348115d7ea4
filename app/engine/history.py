"""Bounded time travel: go back to any of the last ``keep`` steps, exactly.

The history stores a full ``TrainerState`` every ``checkpoint_every`` steps (plus one at each
step where the state was changed by hand or by a hyperparameter) and reaches any step in
between by restoring the nearest earlier checkpoint and replaying. Training is deterministic,
so a replayed step is bit for bit the step that was recorded, and stepping on after a seek
reproduces the same records.

Memory: at most ``keep / checkpoint_every + 2`` regular checkpoints plus one per edited step
in the window; each costs the network's weights and biases, the optimizer state (0, 1 or 2
more copies) and the epoch order (shared between checkpoints of one epoch). ``memory_bytes``
states the current figure.
"""

from __future__ import annotations

import bisect
import weakref

from app.engine.trainer import Trainer, TrainerState


class History:
    """Checkpoints + replay over a trainer's timeline, from ``oldest`` to ``newest``.

    Usage: create it for a trainer (this records the current step), call ``record()`` after
    every successful ``trainer.train_step()``, ``seek(step)`` to go back (or forward along the
    recorded timeline). Changing the trainer (``update_hyper``, ``set_weight``, ``set_bias``)
    at a step before ``newest`` branches: the history drops the future automatically (it
    listens to the trainer) — ``truncate_after`` does the same explicitly.
    """

    def __init__(self, trainer: Trainer, keep: int = 10_000, checkpoint_every: int = 50) -> None:
        if keep < 1 or checkpoint_every < 1:
            raise ValueError("keep and checkpoint_every must be at least 1")
        self.trainer = trainer
        self.keep = keep
        self.checkpoint_every = checkpoint_every
        self._steps: list[int] = []
        self._states: dict[int, TrainerState] = {}
        self._newest = trainer.step
        self._put(trainer.capture())
        ref = weakref.ref(self)

        def on_change(t: Trainer) -> None:
            history = ref()
            if history is not None:
                history._on_trainer_changed(t)

        self._listener = on_change
        trainer.add_listener(on_change)

    @property
    def oldest(self) -> int:
        """The earliest step that can be restored."""
        return self._steps[0]

    @property
    def newest(self) -> int:
        """The latest recorded step."""
        return self._newest

    @property
    def checkpoints(self) -> list[int]:
        """Steps that are stored in full."""
        return list(self._steps)

    def __len__(self) -> int:
        return self._newest - self._steps[0] + 1

    def __repr__(self) -> str:
        return (
            f"History(steps {self.oldest}..{self.newest}, {len(self._steps)} checkpoints, "
            f"{self.memory_bytes / 1024:.0f} KiB)"
        )

    def record(self) -> None:
        """Note the step the trainer just made (call after each successful ``train_step``).

        Re-stepping along an already recorded timeline (after ``seek``) is fine and stores
        nothing; skipping a step raises ``ValueError``.
        """
        step = self.trainer.step
        if step <= self._newest:
            return  # replaying the recorded future: deterministic, nothing to store
        if step != self._newest + 1:
            raise ValueError(
                f"history is at step {self._newest} but the trainer is at {step}: "
                "call record() after every train_step"
            )
        self._newest = step
        if step % self.checkpoint_every == 0:
            self._put(self.trainer.capture())
        self._prune()

    def seek(self, step: int) -> None:
        """Restore the trainer exactly to ``step`` (``oldest ≤ step ≤ newest``)."""
        if not self.oldest <= step <= self._newest:
            raise ValueError(f"step {step} is not in the history ({self.oldest}..{self._newest})")
        i = bisect.bisect_right(self._steps, step) - 1
        start = self._steps[i]
        trainer = self.trainer
        trainer.restore(self._states[start])
        for _ in range(step - start):
            trainer._step(False)

    def truncate_after(self, step: int) -> None:
        """Forget every step after ``step``, making it the newest.

        If the trainer stands at ``step``, its current state (say, after a weight edit or a
        new learning rate) becomes the checkpoint of ``step``, so the new branch replays from it.
        """
        if not self.oldest <= step <= self._newest:
            raise ValueError(f"step {step} is not in the history ({self.oldest}..{self._newest})")
        while self._steps and self._steps[-1] > step:
            del self._states[self._steps.pop()]
        self._newest = step
        if self.trainer.step == step:
            self._put(self.trainer.capture())

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the stored checkpoints' arrays (shared arrays counted once)."""
        seen: set[int] = set()
        total = 0
        for state in self._states.values():
            for a in state.arrays():
                if id(a) not in seen:
                    seen.add(id(a))
                    total += a.nbytes
        return total

    def close(self) -> None:
        """Stop listening to the trainer."""
        self.trainer.remove_listener(self._listener)

    # ── internals ────────────────────────────────────────────────────────────────────────

    def _put(self, state: TrainerState) -> None:
        if state.step not in self._states:
            bisect.insort(self._steps, state.step)
        self._states[state.step] = state

    def _prune(self) -> None:
        horizon = self._newest - self.keep
        while len(self._steps) >= 2 and self._steps[1] <= horizon:
            del self._states[self._steps.pop(0)]

    def _on_trainer_changed(self, trainer: Trainer) -> None:
        if self.oldest <= trainer.step <= self._newest:
            self.truncate_after(trainer.step)
