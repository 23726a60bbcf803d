"""Typed access to a composed YAML node tree, with file:line in every error.

The spec parser composes the YAML document (``yaml.compose``) instead of loading it so every
value keeps its position: a misspelt key, a wrong type or an invalid value is reported as
``mapping.yaml:17: ...``. Scalars are read as the text written in the file, which also avoids
YAML 1.1 surprises in code maps (``No: absent`` stays the string ``"No"``, not ``False``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import yaml
from lake.errors import ConfigError

_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


def compose_file(path: Path) -> yaml.Node:
    """The node tree of the YAML file at ``path``; a syntax error becomes a ``ConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the mapping spec ({exc.strerror})") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from exc
    if node is None:
        raise ConfigError(f"{path}:1: the mapping spec is empty")
    return node


def line_of(node: yaml.Node) -> int:
    """1-based line of ``node`` in its file."""
    return int(node.start_mark.line) + 1


def fail(path: Path, node: yaml.Node, message: str) -> ConfigError:
    """A ``ConfigError`` located at ``node`` (return it so the caller writes ``raise``)."""
    return ConfigError(f"{path}:{line_of(node)}: {message}")


def mapping(
    path: Path,
    node: yaml.Node,
    *,
    where: str,
    allowed: Iterable[str] | None = None,
    required: Iterable[str] = (),
) -> dict[str, yaml.Node]:
    """The entries of a mapping node keyed by their text; unknown and missing keys are errors.

    ``allowed=None`` accepts any key (code maps, column maps). Unknown keys get a
    did-you-mean suggestion from the allowed set.
    """
    if not isinstance(node, yaml.MappingNode):
        raise fail(path, node, f"{where} must be a mapping (key: value lines)")
    entries: dict[str, yaml.Node] = {}
    allowed_set = None if allowed is None else tuple(allowed)
    for key_node, value_node in node.value:
        key = scalar(path, key_node, where=f"a key of {where}")
        if allowed_set is not None and key not in allowed_set:
            close = difflib.get_close_matches(key, allowed_set, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise fail(
                path,
                key_node,
                f"unknown key {key!r} in {where}; {hint}valid keys: {', '.join(allowed_set)}",
            )
        if key in entries:
            raise fail(path, key_node, f"key {key!r} appears twice in {where}")
        entries[key] = value_node
    for key in required:
        if key not in entries:
            raise fail(path, node, f"{where} lacks the required key {key!r}")
    return entries


def scalar(path: Path, node: yaml.Node, *, where: str) -> str:
    """The text of a scalar node, stripped of surrounding whitespace."""
    if not isinstance(node, yaml.ScalarNode):
        raise fail(path, node, f"{where} must be a single value, not a list or mapping")
    return str(node.value).strip()


def integer(path: Path, node: yaml.Node, *, where: str) -> int:
    """A scalar node read as an integer."""
    text = scalar(path, node, where=where)
    try:
        return int(text)
    except ValueError:
        raise fail(path, node, f"{where} must be a whole number, not {text!r}") from None


def number(path: Path, node: yaml.Node, *, where: str) -> float:
    """A scalar node read as a number."""
    text = scalar(path, node, where=where)
    try:
        return float(text)
    except ValueError:
        raise fail(path, node, f"{where} must be a number, not {text!r}") from None


def boolean(path: Path, node: yaml.Node, *, where: str) -> bool:
    """A scalar node read as ``true``/``false``."""
    text = scalar(path, node, where=where).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise fail(path, node, f"{where} must be true or false, not {text!r}")


def string_list(path: Path, node: yaml.Node, *, where: str) -> tuple[str, ...]:
    """A sequence of scalars (a single scalar is a one-element list). Items are not stripped."""
    if isinstance(node, yaml.ScalarNode):
        return (str(node.value),)
    if not isinstance(node, yaml.SequenceNode):
        raise fail(path, node, f"{where} must be a list of values")
    items: list[str] = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode):
            raise fail(path, item, f"every item of {where} must be a single value")
        items.append(str(item.value))
    return tuple(items)


def string_map(path: Path, node: yaml.Node, *, where: str) -> dict[str, tuple[str, yaml.Node]]:
    """A mapping of scalar to scalar: key -> (value text, value node for error locations)."""
    return {
        key: (scalar(path, value, where=f"the value of {key!r} in {where}"), value)
        for key, value in mapping(path, node, where=where).items()
    }


def fail_at(path: Path, line: int, message: str) -> ConfigError:
    """A ``ConfigError`` at a known 1-based ``line`` of ``path``."""
    return ConfigError(f"{path}:{line}: {message}")
