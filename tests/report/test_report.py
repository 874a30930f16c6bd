"""`retail-synth report`: one self-contained HTML file holding every chart."""

from __future__ import annotations

import base64
import re

import pandas as pd

from retail_synth.checks.realism import load_realism
from retail_synth.cli.main import main
from retail_synth.report import charts
from retail_synth.report.report import CART_TABLE
from retail_synth.spark.run_journal import RunJournal, run_tables

PNG = re.compile(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
TITLES = ("Stockout rate per day", "Inventory trajectories", "Demand and sales per day",
          "Cart abandonment by low-inventory class", "Realism", "Rows per table")


def test_report_embeds_every_chart(spark, tiny_run, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", "--output", tiny_run.output_dir, "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    page = out.read_text()
    images = PNG.findall(page)
    tables = run_tables(spark, tiny_run, RunJournal(spark, tiny_run).last_complete())
    assert len(images) == 3 + (CART_TABLE in tables)
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert all(f"<h2>{title}</h2>" in page for title in TITLES)
    assert all(f"<td>{table}</td>" in page for table in tables)
    assert all(f"<td>realism.{q.check}</td>" in page for q in load_realism() if q.tables <= set(tables))
    assert "src=\"http" not in page and "<script" not in page          # nothing fetched when opened


def test_abandonment_chart_draws_from_a_small_frame():
    by_class = pd.DataFrame({"low_inventory": [False, True], "abandoned": [70, 8], "orders": [30, 2]})
    assert base64.b64decode(charts.abandonment_chart(by_class))[:4] == b"\x89PNG"
