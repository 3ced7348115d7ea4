"""One learner's session: `Timeline` (trainer, history, step log, the moment), `messages`
(events → protocol messages), `Player` (paced play) and `Session` (the command table)."""

from app.protocol import Message, phase_order
from app.session.pace import Pace
from app.session.player import MAX_FRAME_LOSSES, PeerGone, Player
from app.session.session import CHECKPOINT, COMMANDS, Offload, Session
from app.session.timeline import HISTORY_BUDGET_BYTES, Timeline

__all__ = [
    "CHECKPOINT",
    "COMMANDS",
    "HISTORY_BUDGET_BYTES",
    "MAX_FRAME_LOSSES",
    "Message",
    "Offload",
    "Pace",
    "PeerGone",
    "Player",
    "Session",
    "Timeline",
    "phase_order",
]
