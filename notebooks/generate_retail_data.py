# Databricks notebook source
# MAGIC %md
# MAGIC # Retail synthetic data: generate the gold tables
# MAGIC Writes the inventory-consistent retail star schema as managed Delta tables
# MAGIC `<catalog>.<schema>.gold_*` through `retail_synth.generate`, the same guarded job as `retail-synth generate`:
# MAGIC a protected name (`prod`, `live`, ...) or tables retail-synth did not write are refused before any write.
# MAGIC It uses the Spark session it is given (`spark` on Databricks, Spark Connect on serverless).
# MAGIC Outside Databricks the widgets fall back to their defaults (the catalog to `spark_catalog`, the embedded
# MAGIC session's), so this file also runs as a plain script.

# COMMAND ----------

# MAGIC %pip install --quiet ..

# COMMAND ----------

import sys
from pathlib import Path

try:
    NOTEBOOK_DIR = Path(__file__).resolve().parent
except NameError:  # Databricks notebooks have no __file__; their working directory is the notebook's folder
    NOTEBOOK_DIR = Path.cwd()
sys.path.insert(0, str(NOTEBOOK_DIR.parent / "src"))

import retail_synth
from retail_synth.spec.configuration import DEFAULT_PRESET

# The defaults of `retail-synth generate` (no --preset, no --seed), and the bundle's catalog and schema
# (databricks.yml's variables); the CLI has no default catalog.
WIDGET_DEFAULTS = {
    "preset": DEFAULT_PRESET,
    "seed": str(retail_synth.load_config(preset=DEFAULT_PRESET).seed),
    "catalog": "main",
    "schema": "retail_synth",
}
LOCAL_CATALOG = "spark_catalog"     # outside Databricks: the embedded session's only catalog


def widget_values() -> dict:
    """Databricks widgets (a job's parameters arrive through them) when running there, else their defaults."""
    try:
        widgets = dbutils.widgets  # defined by Databricks
    except NameError:
        return dict(WIDGET_DEFAULTS, catalog=LOCAL_CATALOG)
    for name, default in WIDGET_DEFAULTS.items():
        widgets.text(name, default)
    return {name: widgets.get(name) for name in WIDGET_DEFAULTS}


# COMMAND ----------

params = widget_values()
# `spark`: the session Databricks gives a notebook (Spark Connect on serverless), used as it is; a plain script has
# none, and generate starts the embedded one.
summary = retail_synth.generate(preset=params["preset"], seed=int(params["seed"]),
                                target=retail_synth.Target(catalog=params["catalog"], schema=params["schema"]),
                                spark=globals().get("spark"))

# COMMAND ----------

for table in summary.tables:
    print(f"{params['catalog']}.{params['schema']}.{table.table}: {table.rows:,} rows in {table.seconds} s")
