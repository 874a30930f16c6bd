"""gold_customer_product_affinity_agg goes through its pair sums; it must equal one pass of its formula over the facts."""

from chispa import assert_df_equality
from pyspark.sql import functions as F

from retail_synth.spark.affinity_table import AFFINITY_TABLE, PAIRS_SCHEMA
from retail_synth.spark.delta_tables import table_run_id
from retail_synth.spark.run_journal import RunJournal
from retail_synth.spark.state_table import AFFINITY_PAIRS_TABLE, state_last_day
from retail_synth.spec.configuration import resolve
from retail_synth.spec.contracts import load_contract

# The formula as the module docstring and the contract state it: means with avg() straight over the facts.
ONE_PASS_SQL = """
WITH purchases AS (
  SELECT customer_key, product_key, count(*) AS purchase_count,
         max(to_date(cast(date_key AS string), 'yyyyMMdd')) AS last_purchase,
         CAST(avg(CAST(net_sales_amount AS DECIMAL(20, 2)) / quantity_sold) AS DOUBLE) AS paid_unit_value,
         avg(CASE WHEN is_return THEN 1.0 ELSE 0.0 END) AS returned_share
  FROM {sales} GROUP BY customer_key, product_key
), browsing AS (
  SELECT customer_key, product_key,
         count_if(event_type = 'product_view') AS view_count, count_if(event_type = 'add_to_cart') AS cart_add_count,
         max(to_date(event_timestamp)) AS last_event,
         CAST(avg(CAST(event_value AS DECIMAL(30, 10))) AS DOUBLE) AS shown_unit_value
  FROM {events} WHERE event_type IN ('product_view', 'add_to_cart') AND product_key IS NOT NULL
  GROUP BY customer_key, product_key
), pairs AS (
  SELECT customer_key, product_key, coalesce(p.purchase_count, 0) AS purchase_count,
         coalesce(b.view_count, 0) AS view_count, coalesce(b.cart_add_count, 0) AS cart_add_count,
         datediff(DATE'{end}', greatest(p.last_purchase, b.last_event)) AS days_since,
         coalesce(p.paid_unit_value, b.shown_unit_value, 0.0) AS unit_value,
         coalesce(p.returned_share, 0.0) AS returned_share
  FROM purchases p FULL OUTER JOIN browsing b USING (customer_key, product_key)
), scored AS (
  SELECT *, round((1 - exp(-(3.0 * purchase_count + 1.5 * cart_add_count + 0.5 * view_count) / 3.0))
                  * exp(-days_since / 90.0), 4) AS affinity_score
  FROM pairs
)
SELECT customer_key, product_key, affinity_score, CAST(purchase_count AS INT) AS purchase_count,
       CAST(view_count AS INT) AS view_count, CAST(cart_add_count AS INT) AS cart_add_count,
       CAST(days_since AS INT) AS days_since_last_interaction,
       CASE WHEN view_count > 0 THEN purchase_count / view_count END AS view_to_purchase_ratio,
       CASE WHEN cart_add_count > 0 THEN purchase_count / cart_add_count END AS cart_to_purchase_ratio,
       CAST(row_number() OVER (PARTITION BY customer_key ORDER BY affinity_score DESC, product_key) AS INT)
         AS recommendation_rank,
       round(affinity_score * unit_value * (1 - returned_share), 2) AS predicted_cltv_impact,
       DATE'{end}' AS calculation_date
FROM scored
"""


def by_person(spark, target, fact: str):
    """The fact with each customer_key (a version) replaced by the key of the customer's first version."""
    dim = target.read(spark, "gold_customer_dim")
    first = dim.groupBy("customer_id").agg(F.min_by("customer_key", "effective_date").alias("first_key"))
    person = dim.join(first, "customer_id").select("customer_key", "first_key")
    rows = target.read(spark, fact)
    return rows.join(person, "customer_key").drop("customer_key").withColumnRenamed("first_key", "customer_key")


def test_the_aggregate_equals_one_pass_of_its_formula_over_the_facts(spark, tiny_run):
    """Every column to the last bit: the DECIMAL sums divided as avg() divides them give avg()'s means."""
    columns = [c for c in load_contract(AFFINITY_TABLE).column_names if c != "etl_timestamp"]
    expected = spark.sql(ONE_PASS_SQL.format(sales="{sales}", events="{events}",
                                             end=resolve(preset="tiny", seed=7).end_date.isoformat()),
                         sales=by_person(spark, tiny_run, "gold_sales_fact"),
                         events=by_person(spark, tiny_run, "gold_customer_event_fact"))
    written = tiny_run.read(spark, AFFINITY_TABLE).select(columns)
    assert written.where("predicted_cltv_impact > 0 AND purchase_count > 0").count() > 100
    assert_df_equality(written, expected.select(columns), ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)


def test_a_run_keeps_the_pair_sums_as_a_journalled_state_table(spark, tiny_run):
    pairs = tiny_run.read(spark, AFFINITY_PAIRS_TABLE)
    assert [(f.name, f.dataType) for f in pairs.schema] == [(f.name, f.dataType) for f in PAIRS_SCHEMA]
    assert pairs.count() == tiny_run.read(spark, AFFINITY_TABLE).count()
    assert pairs.where("(purchase_count = 0) <> (paid_value_sum IS NULL)").count() == 0
    assert table_run_id(spark, tiny_run, AFFINITY_PAIRS_TABLE) == table_run_id(spark, tiny_run, "gold_sales_fact")
    assert state_last_day(spark, tiny_run, AFFINITY_PAIRS_TABLE) == resolve(preset="tiny", seed=7).simulated_days - 1
    run = RunJournal(spark, tiny_run).last()
    assert AFFINITY_PAIRS_TABLE in run.prior_versions
    assert AFFINITY_PAIRS_TABLE not in [t["table"] for t in run.tables]
