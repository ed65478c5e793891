"""Helpers the mangled-input property tests share (scanner reports and access logs)."""

import json

from hypothesis import strategies as st


def parse(text: str):
    """A fixture as (kind, document): one JSON document, or JSON lines."""
    try:
        return "json", json.loads(text)
    except json.JSONDecodeError:
        return "jsonl", [json.loads(line) for line in text.splitlines() if line.strip()]


def json_values(*samples):
    """Any small JSON value; ``samples`` adds realistic strings hypothesis would rarely invent."""
    leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    if samples:
        leaf = leaf | st.sampled_from(list(samples))
    return st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=6,
    )


def paths(doc, prefix=()):
    """Every path (tuple of keys and indexes) into a JSON document, the root included."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, prefix + (i,))


def mutate(doc, path, action, value):
    """Delete the key at ``path`` (for objects) or replace the value there; returns the document."""
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def mangled(text: str, data, values) -> str:
    """``text`` (a JSON document or JSON lines) with 1-3 random deletions or replacements,
    written back in the same container, drawn through hypothesis' ``data``."""
    kind, doc = parse(text)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths(doc))))
        doc = mutate(doc, path, data.draw(st.sampled_from(["delete", "replace"])), data.draw(values))
    if kind == "jsonl" and isinstance(doc, list):
        return "".join(json.dumps(r) + "\n" for r in doc)
    return json.dumps(doc, indent=data.draw(st.sampled_from([None, 1, 2])))
