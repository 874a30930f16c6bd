"""Table contracts: the single declaration of every gold table.

Each `contracts/<table>.yaml` names the columns (type, nullability,
description), primary key, foreign keys and row-level quality checks, and
says which producer fills the table (`source`, one of SOURCES) and where it
is written among that producer's tables (`write_order`), and about how many
rows it holds (`row_estimate`, see src/retail_synth/tables/row_estimates.py). A table whose
rows an extend rewrites names the columns its files are sorted by
(`file_order`), so the extend's MERGE skips the files it cannot touch. The table modules
build their Arrow batches from `arrow_schema`, the pipeline turns the same
contract into a Spark schema with comments, `validate` runs the checks and
src/retail_synth/tables/registry.py derives every table list from `source`, so a
column, and a table, is declared exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import yaml

from retail_synth.spec.resources import data_dir, stems

CONTRACTS_DIR = data_dir("contracts")

# Who fills a table, in the order their tables are written (registry.WRITTEN_TABLES):
#   dimensions  built on the driver from seeded pools (src/retail_synth/spark/dimension_tables.py)
#   walk        formatted from each walked product block (src/retail_synth/tables/<table>.batches)
#   carts       formatted from the cart decision table (src/retail_synth/tables/<table>.batches)
#   facts       Spark SQL over facts already written, so last (src/retail_synth/spark/affinity_table.py)
SOURCES = ("dimensions", "walk", "carts", "facts")

ARROW_TYPES = {
    "int": pa.int32(),
    "bigint": pa.int64(),
    "string": pa.string(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target_column: str

    @property
    def into_dimension(self) -> bool:
        """The parent is a dimension: few rows, integer keys. A fact's key (line_item_id) is neither."""
        return load_contract(self.table).kind == "dimension"


@dataclass(frozen=True)
class Check:
    name: str
    predicate: str
    enforce: bool


@dataclass(frozen=True)
class RowEstimate:
    """About `ratio` rows per unit of the driver `per` (src/retail_synth/tables/row_estimates.py names the drivers)."""

    per: str
    ratio: float


@dataclass(frozen=True)
class Contract:
    table: str
    description: str
    kind: str
    source: str
    write_order: int
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    columns: tuple[Column, ...]
    checks: tuple[Check, ...]
    row_estimate: RowEstimate
    file_order: tuple[str, ...] = ()     # columns each written file is sorted by (spark/delta_tables.replace_table)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key_columns(self) -> list[str]:
        """The primary and foreign key columns, in column order: what joins and filters use."""
        keys = set(self.primary_key) | {fk.column for fk in self.foreign_keys}
        return [c.name for c in self.columns if c.name in keys]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable) for c in self.columns]
        )


def _parse(doc: dict) -> Contract:
    fks = []
    for fk in doc.get("foreign_keys") or []:
        table, column = fk["references"].split(".")
        fks.append(ForeignKey(fk["column"], table, column))
    return Contract(
        table=doc["table"],
        description=doc["description"],
        kind=doc["kind"],
        source=_source(doc),
        write_order=int(doc["write_order"]),
        primary_key=tuple(doc.get("primary_key") or ()),
        foreign_keys=tuple(fks),
        columns=tuple(
            Column(c["name"], c["type"], bool(c["nullable"]), c["description"]) for c in doc["columns"]
        ),
        checks=tuple(
            Check(c["name"], c["predicate"], bool(c.get("enforce", False))) for c in doc.get("checks") or []
        ),
        row_estimate=RowEstimate(doc["row_estimate"]["per"], float(doc["row_estimate"]["ratio"])),
        file_order=_file_order(doc),
    )


def _file_order(doc: dict) -> tuple[str, ...]:
    """The file_order columns: key columns, the only ones Delta keeps the statistics of that skip files."""
    order = tuple(doc.get("file_order") or ())
    keys = set(doc.get("primary_key") or ()) | {fk["column"] for fk in doc.get("foreign_keys") or []}
    for column in order:
        if column not in keys:
            raise ValueError(f"{doc['table']}: file_order column {column!r} is not a primary or foreign key column")
    return order


def _source(doc: dict) -> str:
    source = doc["source"]
    if source not in SOURCES:
        raise ValueError(f"{doc['table']}: source {source!r} is not one of {', '.join(SOURCES)}")
    return source


@cache
def load_contract(table: str) -> Contract:
    with (CONTRACTS_DIR / f"{table}.yaml").open() as handle:
        return _parse(yaml.safe_load(handle))


def all_tables() -> list[str]:
    return stems(CONTRACTS_DIR, ".yaml", prefix="gold_")


def arrow_schema(table: str) -> pa.Schema:
    return load_contract(table).arrow_schema()


def to_arrow_table(table: str, columns: dict) -> pa.Table:
    """Build a table in contract order and types from a dict of column arrays.

    Fails loudly on a missing or extra column, so generators cannot drift
    from their contract.
    """
    schema = arrow_schema(table)
    names = set(schema.names)
    missing = [n for n in schema.names if n not in columns]
    extra = [n for n in columns if n not in names]
    if missing or extra:
        raise ValueError(f"{table}: missing columns {missing}, unexpected columns {extra}")
    arrays = [_arrow_column(columns[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _arrow_column(values: object, kind: pa.DataType) -> pa.Array:
    """One column in its contract type: Arrow columns are cast (pa.array would walk them value by value)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == kind else values.cast(kind)
    return pa.array(values, type=kind, from_pandas=True)
