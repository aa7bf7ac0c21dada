"""A FIX 4.4 initiator for brokers, written here (QuickFIX only plays the broker in tests).

``codec`` frames tag=value messages; ``messages`` types the application messages;
``sequence_store`` keeps sequence numbers and the resend log durably; ``session`` runs the
session protocol over TCP; ``broker`` is what the application uses (:class:`FixBroker`).
"""

from bounded_contexts.execution.adapters.venues.fix44.broker import FixBroker
from bounded_contexts.execution.adapters.venues.fix44.codec import FixDecodeError
from bounded_contexts.execution.adapters.venues.fix44.config import (
    FixSessionConfig,
    InvalidFixConfig,
)
from bounded_contexts.execution.adapters.venues.fix44.messages import (
    BusinessMessageReject,
    ExecType,
    ExecutionReport,
    InvalidFixOrder,
    NewOrderSingle,
    OrderCancelReject,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    OrdStatus,
)
from bounded_contexts.execution.adapters.venues.fix44.session import FixNotLoggedOn

__all__ = [
    "BusinessMessageReject",
    "ExecType",
    "ExecutionReport",
    "FixBroker",
    "FixDecodeError",
    "FixNotLoggedOn",
    "FixSessionConfig",
    "InvalidFixConfig",
    "InvalidFixOrder",
    "NewOrderSingle",
    "OrdStatus",
    "OrderCancelReject",
    "OrderCancelReplaceRequest",
    "OrderCancelRequest",
]
