"""Pull metric names and label matchers out of PromQL text, for catalog checks.

Not a PromQL parser: Prometheus itself parses every expression in the rule
checks and the live query tests. This only has to find which series an
expression selects, so it blanks out strings, ranges and grouping label lists
and keeps the identifiers that are not functions or keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
     "unless", "offset", "inf", "nan", "atan2"}
)  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:.$])([A-Za-z_:][\w:]*)")
_MATCHER = re.compile(r'\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)


def selectors(expr: str) -> list[Selector]:
    """Every ``metric{matchers}`` (or bare ``metric``) an expression selects."""
    # Keep matcher bodies aside before blanking strings, so values survive.
    bodies: list[str] = []

    def stash(match: re.Match[str]) -> str:
        bodies.append(match.group(1))
        return f"{{{len(bodies) - 1}}}"

    text = re.sub(r"\{((?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*)\}", stash, expr)
    text = _STRING.sub('""', text)
    text = _RANGE.sub("[]", text)
    text = _GROUPING.sub(" ", text)  # "sum by (a) (x)" -> "sum  (x)"
    found: list[Selector] = []
    for match in _IDENT.finditer(text):
        name = match.group(1)
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or name.lower() in _KEYWORDS:
            continue
        matchers: tuple[tuple[str, str, str], ...] = ()
        body = re.match(r"\{(\d+)\}", rest)
        if body:
            matchers = _parse_matchers(bodies[int(body.group(1))])
        found.append(Selector(name, matchers))
    return found


def _parse_matchers(body: str) -> tuple[tuple[str, str, str], ...]:
    parsed = []
    pos = 0
    while pos < len(body.strip()):
        match = _MATCHER.match(body, pos)
        if not match:
            raise ValueError(f"cannot read label matchers {body!r} at {pos}")
        parsed.append((match.group(1), match.group(2), match.group(3)))
        pos = match.end()
    return tuple(parsed)


def grouping_labels(expr: str) -> set[str]:
    """Label names in by/without/on/ignoring/group_left/group_right lists."""
    text = _STRING.sub('""', expr)
    labels: set[str] = set()
    for match in _GROUPING.finditer(text):
        inner = match.group(0)[match.group(0).index("(") + 1 : -1]
        labels.update(part.strip() for part in inner.split(",") if part.strip())
    return labels
