"""AsyncAPI differences: event types (messages), their payloads, and the operations.

>>> old = {"components": {"messages": {"order.paid": {"payload": {"type": "object"}}}}}
>>> [str(c) for c in diff_asyncapi(old, {"components": {"messages": {}}}, "events")]
['events order.paid: event type removed']
"""

from __future__ import annotations

from typing import Any

from .changes import Change
from .schemas import diff_schemas, resolve


def _messages(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for key, message in ((doc.get("components") or {}).get("messages") or {}).items():
        message, _ = resolve(message, doc)
        out[message.get("name", key)] = message
    return out


def _operation_messages(op: dict[str, Any], doc: dict[str, Any]) -> set[str]:
    names = set()
    for ref in op.get("messages") or []:
        message, _ = resolve(ref, doc)
        if isinstance(message, dict):
            names.add(message.get("name") or str(ref.get("$ref", "")).rsplit("/", 1)[-1])
    return names


def diff_asyncapi(old: dict[str, Any], new: dict[str, Any], name: str) -> list[Change]:
    """The changes from AsyncAPI document `old` to `new` (payloads judged as received data)."""
    changes: list[Change] = []
    old_messages, new_messages = _messages(old), _messages(new)
    for event_type, message in sorted(old_messages.items()):
        where = f"{name} {event_type}"
        if event_type not in new_messages:
            changes.append(Change(True, where, "event type removed"))
            continue
        new_message = new_messages[event_type]
        changes.extend(diff_schemas(message.get("payload", {}), new_message.get("payload", {}),
                                    direction="response", where=where, context="payload",
                                    old_root=old, new_root=new))
        if message.get("x-publisher") != new_message.get("x-publisher"):
            changes.append(Change(False, where, f"publisher {message.get('x-publisher')!r} → "
                                                f"{new_message.get('x-publisher')!r}"))
    for event_type in sorted(set(new_messages) - set(old_messages)):
        changes.append(Change(False, f"{name} {event_type}", "new event type"))
    old_ops, new_ops = old.get("operations") or {}, new.get("operations") or {}
    for op_id, op in sorted(old_ops.items()):
        where = f"{name} operation {op_id}"
        if op_id not in new_ops:
            changes.append(Change(True, where, "operation removed"))
            continue
        lost = _operation_messages(op, old) - _operation_messages(new_ops[op_id], new)
        for event_type in sorted(lost):
            changes.append(Change(True, where, f"no longer {op.get('action', 'handle')}s "
                                               f"{event_type}"))
        gained = _operation_messages(new_ops[op_id], new) - _operation_messages(op, old)
        for event_type in sorted(gained):
            changes.append(Change(False, where, f"now {op.get('action', 'handle')}s {event_type}"))
    for op_id in sorted(set(new_ops) - set(old_ops)):
        changes.append(Change(False, f"{name} operation {op_id}", "new operation"))
    return changes
