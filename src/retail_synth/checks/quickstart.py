"""Quickstart queries: plain SQL files with a parsed comment header and a bound on their one `value`.

Each `contracts/quickstart/<check>.sql` runs as it is in a SQL editor once
the gold tables are in scope, and `validate` runs the same text against temp
views named like the tables, so users and the validator read one definition.
The header (see contracts/quickstart/README.md):

    -- check: stockout_rate_last_day
    -- description: Share of positions out of stock on the last day.
    -- bound: 0.05 <= value <= 0.10
    -- min_sample: 5000            (optional: statistical checks)

A statistical check also returns a column `sample` (the observations behind
`value`); below `min_sample` the bound cannot be tested at the precision it
states (a rate within 2 points needs thousands of carts), so the check is
reported as too small, neither passed nor failed.

A bound that follows a parameter names it in braces, with plain arithmetic:
`{inventory.target_stockout_rate} - 0.025 <= value <= {inventory.target_stockout_rate} + 0.025`.
`QuickstartQuery.bound(settings)` fills in the run's recorded configuration,
so one declaration serves every run, whatever it was configured to.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass

from retail_synth.checks.sql_checks import SqlCheckError, SqlText, read_header
from retail_synth.spec.configuration import defaults, flatten
from retail_synth.spec.resources import data_dir, stems

QUICKSTART_DIR = data_dir("contracts", "quickstart")

_SETTING = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_SIDE = re.compile(rf"^\s*(?:(?P<lo>{_NUMBER})\s*(?P<lo_op><=|<)\s*)?value"
                   rf"\s*(?:(?P<op><=|<|>=|>|=)\s*(?P<hi>{_NUMBER}))?\s*$")
_FLIPPED = {"<": ">", "<=": ">="}     # `a < value` is `value > a`
_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq}


class QuickstartError(SqlCheckError):
    """A quickstart file whose header or bound cannot be read."""


@dataclass(frozen=True)
class Bound:
    """`value` compared with one or two numbers, e.g. `0.05 <= value <= 0.10`, `value > 0`, `value = 0`."""

    text: str
    conditions: tuple[tuple[str, float], ...]   # (operator, number) with value on the left

    def holds(self, value) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return all(_OPERATORS[op](float(value), number) for op, number in self.conditions)

    def __str__(self) -> str:
        return self.text

    @property
    def interval(self) -> tuple[float, float]:
        """(lowest, highest) value the bound allows, infinite where it is open."""
        lows = [n for op, n in self.conditions if op in (">", ">=", "=")]
        highs = [n for op, n in self.conditions if op in ("<", "<=", "=")]
        return max(lows, default=-math.inf), min(highs, default=math.inf)


def parse_bound(text: str) -> Bound:
    match = _SIDE.match(text)
    if not match or not (match["lo"] or match["op"]):
        raise QuickstartError(f"bound '{text}' is not of the form 'a <= value <= b', 'value > a' or 'value = a'")
    conditions = []
    if match["lo"]:
        if match["op"] not in (None, "<", "<="):
            raise QuickstartError(f"bound '{text}': a two-sided bound reads 'a <= value <= b'")
        conditions.append((_FLIPPED[match["lo_op"]], float(match["lo"])))
    if match["op"]:
        conditions.append((match["op"], float(match["hi"])))
    return Bound(" ".join(text.split()), tuple(conditions))


def _arithmetic(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arithmetic(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return _ARITHMETIC[type(node.op)](_arithmetic(node.left), _arithmetic(node.right))
    raise QuickstartError("only numbers, settings in braces, + - * / and parentheses are allowed")


def _number_text(number: float) -> str:
    return f"{round(number, 10):g}"


def settle_bound(template: str, settings: dict[str, object]) -> Bound:
    """The bound of `template` with each `{dotted.key}` replaced by the run's setting and each side computed."""
    def setting(match: re.Match) -> str:
        key = match[1]
        value = settings.get(key)           # None when absent: not numeric either
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise QuickstartError(f"bound '{template}' names '{key}', which is not a numeric setting")
        return repr(float(value))

    sides = re.split(r"(<=|>=|<|>|=)", _SETTING.sub(setting, template))
    try:
        settled = [side if i % 2 or side.strip() in ("", "value")
                   else _number_text(_arithmetic(ast.parse(side.strip(), mode="eval").body))
                   for i, side in enumerate(sides)]
    except (SyntaxError, QuickstartError) as exc:
        raise QuickstartError(f"bound '{template}': {exc.msg if isinstance(exc, SyntaxError) else exc}") from None
    return parse_bound(" ".join(part.strip() for part in settled if part.strip()))


@dataclass(frozen=True)
class QuickstartQuery(SqlText):
    check: str
    description: str
    bound_template: str           # the header's bound; settings in braces are filled in per run
    sql: str                      # the whole file, header included
    min_sample: int = 0           # observations (column `sample`) needed to test the bound

    def bound(self, settings: dict[str, object]) -> Bound:
        """The bound for a run configured with `settings` (dotted keys, as configuration.flatten gives)."""
        return settle_bound(self.bound_template, settings)


def parse_quickstart(path) -> QuickstartQuery:
    """The query of one file, a Path or an importlib.resources Traversable."""
    header = read_header(path, ("bound",), QuickstartError)
    try:
        settle_bound(header.extra["bound"], flatten(defaults()))
    except QuickstartError as exc:
        raise QuickstartError(f"{path.name}: {exc}") from None
    return QuickstartQuery(header.check, header.description, header.extra["bound"], header.sql, header.min_sample)


def load_quickstart() -> list[QuickstartQuery]:
    """Every quickstart query, in file-name order."""
    return [parse_quickstart(QUICKSTART_DIR / f"{check}.sql") for check in stems(QUICKSTART_DIR, ".sql")]
