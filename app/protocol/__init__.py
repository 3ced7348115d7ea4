"""The WebSocket contract (docs/protocol.md): client messages in, server messages out."""

from app.protocol.client import (
    ACTIVATIONS,
    CLIENT_TYPES,
    DATASETS,
    FEATURES,
    INITS,
    OPTIMIZERS,
    PROTOCOL_VERSION,
    UNITS,
    WATCHER_TYPES,
    ClientMessage,
    ConfigPatch,
    ProtocolError,
    parse_client_message,
)
from app.protocol.server import SPECTATOR_TYPES, Message, Phase, dumps, phase_order, with_id

__all__ = [
    "ACTIVATIONS",
    "CLIENT_TYPES",
    "DATASETS",
    "FEATURES",
    "INITS",
    "OPTIMIZERS",
    "PROTOCOL_VERSION",
    "SPECTATOR_TYPES",
    "UNITS",
    "WATCHER_TYPES",
    "ClientMessage",
    "ConfigPatch",
    "Message",
    "Phase",
    "ProtocolError",
    "dumps",
    "parse_client_message",
    "phase_order",
    "with_id",
]
