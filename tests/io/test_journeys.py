"""Journeys drawn from tiny: the file format of the issue, every step's key finds one row in Delta, steps in time order."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import reduce
from operator import and_

import pytest
import yaml
from pyspark.sql import functions as F

from retail_synth.io.journeys import INDEX, SPARK_ISO, WORKFLOWS, write_journeys

DATE_COLUMNS = {"gold_sales_fact": "date_key", "gold_cart_abandonment_fact": "date_key",
                "gold_inventory_fact": "date_key", "gold_inventory_movement_fact": "date_key",
                "gold_stockout_events": "stockout_start_date_key"}


@pytest.fixture(scope="module")
def journeys(spark, tiny_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("journeys")
    write_journeys(spark, tiny_run, folder, 3)
    return folder


def documents(folder):
    return {name: yaml.safe_load((folder / f"{name}.yaml").read_text()) for name in WORKFLOWS}


def test_every_workflow_has_the_issue_format_and_the_index_lists_it(journeys):
    index = yaml.safe_load((journeys / INDEX).read_text())
    assert [w["name"] for w in index["workflows"]] == list(WORKFLOWS)
    for entry in index["workflows"]:
        doc = yaml.safe_load((journeys / entry["file"]).read_text())
        assert list(doc) == ["workflow", "journey_count", "journeys"] and doc["workflow"] == entry["name"]
        assert doc["journey_count"] == entry["journey_count"] == len(doc["journeys"]) == 3
        assert set(entry["entities"]) == {s["table"] for j in doc["journeys"] for s in j["steps"]}
        for journey in doc["journeys"]:
            assert list(journey) == ["id", "customer_key", "started_at", "ended_at", "steps"]
            assert all(list(step) == ["step", "table", "key", "at"] for step in journey["steps"])


def test_steps_are_in_time_order_between_start_and_end(journeys):
    for doc in documents(journeys).values():
        for journey in doc["journeys"]:
            times = [step["at"] for step in journey["steps"]]
            assert times == sorted(times), journey["id"]
            assert (journey["started_at"], journey["ended_at"]) == (times[0], times[-1])
            assert len(journey["steps"]) >= 3, journey["id"]


def test_every_key_finds_exactly_one_row_of_its_customer_on_its_day(spark, tiny_run, journeys):
    steps = defaultdict(list)
    for doc in documents(journeys).values():
        for journey in doc["journeys"]:
            for step in journey["steps"]:
                steps[step["table"]].append((journey["customer_key"], step))
    assert set(steps) >= {"gold_customer_event_fact", "gold_sales_fact", "gold_cart_abandonment_fact",
                          "gold_stockout_events", "gold_inventory_fact", "gold_inventory_movement_fact"}
    for table, found in steps.items():
        columns = sorted(found[0][1]["key"])
        frame = tiny_run.read(spark, table)
        wanted = F.lit(False)
        for _, step in found:
            wanted = wanted | reduce(and_, [F.col(c) == step["key"][c] for c in columns])
        extra = [c for c in ("customer_key", DATE_COLUMNS.get(table)) if c and c in frame.columns]
        if table == "gold_customer_event_fact":
            extra.append(F.date_format("event_timestamp", SPARK_ISO).alias("at"))
        rows = Counter()
        found_rows = {}
        for row in frame.where(wanted).select(*columns, *extra).collect():
            rows[tuple(row[c] for c in columns)] += 1
            found_rows[tuple(row[c] for c in columns)] = row
        keys = {tuple(step["key"][c] for c in columns) for _, step in found}
        assert set(rows) == keys and set(rows.values()) == {1}, table
        for customer, step in found:
            row = found_rows[tuple(step["key"][c] for c in columns)]
            if "customer_key" in extra:
                assert row["customer_key"] == customer, step
            if table in DATE_COLUMNS:
                assert step["at"][:10].replace("-", "") == str(row[DATE_COLUMNS[table]]), step
            if table == "gold_customer_event_fact":
                assert step["at"] == row["at"], step


def test_the_same_run_gives_the_same_files(spark, tiny_run, journeys, tmp_path):
    write_journeys(spark, tiny_run, tmp_path, 3)
    for name in [*WORKFLOWS, "index"]:
        assert (tmp_path / f"{name}.yaml").read_text() == (journeys / f"{name}.yaml").read_text()
