"""Pure graph logic of nested groups: cycle detection and membership through nesting.

An edge (parent, child) means: members of `child` are members of `parent` too.

>>> would_cycle([("customers", "admins")], "admins", "customers")
True
>>> sorted(groups_of(["admins"], [("customers", "admins")]))
['admins', 'customers']
"""

from __future__ import annotations

from collections.abc import Iterable


def groups_of(direct: Iterable[str], edges: Iterable[tuple[str, str]]) -> set[str]:
    """Every group a member of `direct` belongs to, following the nesting upwards."""
    parents: dict[str, set[str]] = {}
    for parent, child in edges:
        parents.setdefault(child, set()).add(parent)
    seen: set[str] = set()
    todo = list(direct)
    while todo:
        group = todo.pop()
        if group in seen:
            continue
        seen.add(group)
        todo.extend(parents.get(group, ()))
    return seen


def would_cycle(edges: Iterable[tuple[str, str]], parent: str, child: str) -> bool:
    """Whether nesting `child` in `parent` makes a cycle (parent already a member of child)."""
    return parent == child or child in groups_of([parent], edges)
