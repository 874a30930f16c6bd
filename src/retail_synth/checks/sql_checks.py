"""Checks kept as plain SQL files with a comment header: the reader quickstart and realism files share.

A file starts with a run of `--` lines; lines of the form `-- key: value`
whose key is one the caller asks for form its header, other comment lines
are free text. Every file names itself (`check` equals the file name without
`.sql`), says what it measures (`description`) and may state the sample it
needs (`min_sample`, a whole number; 0 when absent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REQUIRED_KEYS = ("check", "description")
MIN_SAMPLE = "min_sample"

_HEADER_LINE = re.compile(r"^--\s*(\w+)\s*:\s*(.*?)\s*$")
_TABLE = re.compile(r"\b(gold_\w+)\b")
_COMMENT = re.compile(r"--[^\n]*")


class SqlCheckError(ValueError):
    """A check file whose header cannot be read."""


@dataclass(frozen=True)
class Header:
    """The header of one check file, with the file's whole text."""

    check: str
    description: str
    min_sample: int               # observations (column `sample`) needed to judge `value`; 0: not statistical
    sql: str                      # the whole file, header included
    extra: dict[str, str] = field(default_factory=dict)   # the further keys the caller asked for


def read_header(path, extra_keys: tuple[str, ...] = (), error: type[SqlCheckError] = SqlCheckError) -> Header:
    """The header of a file (a Path or an importlib.resources Traversable); `extra_keys` are required too."""
    text = path.read_text()
    wanted = REQUIRED_KEYS + extra_keys + (MIN_SAMPLE,)
    header = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        match = _HEADER_LINE.match(line)
        if match and match[1] in wanted:
            header[match[1]] = match[2]
    missing = [k for k in REQUIRED_KEYS + extra_keys if not header.get(k)]
    if missing:
        raise error(f"{path.name}: header lacks {', '.join(f'-- {k}:' for k in missing)}")
    if header["check"] != path.name.removesuffix(".sql"):
        raise error(f"{path.name}: check '{header['check']}' must match the file name")
    min_sample = header.get(MIN_SAMPLE, "0")
    if not min_sample.isdigit():
        raise error(f"{path.name}: min_sample '{min_sample}' is not a whole number")
    return Header(header["check"], header["description"], int(min_sample), text, {k: header[k] for k in extra_keys})


class SqlText:
    """What a check runs and reads, from its file's text `sql`, and the sample it needs."""

    sql: str
    min_sample: int

    @property
    def statement(self) -> str:
        """The query without its trailing semicolon, as `spark.sql` takes it."""
        return self.sql.strip().rstrip(";").rstrip()

    @property
    def tables(self) -> frozenset[str]:
        """Gold tables the query reads: a check runs only when all of them are there."""
        return frozenset(_TABLE.findall(_COMMENT.sub("", self.sql)))
