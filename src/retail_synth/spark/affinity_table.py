"""gold_customer_product_affinity_agg, derived in Spark SQL from the written sales and event facts.

It reads gold_sales_fact and gold_customer_event_fact of the same run back
from the target (its contract's source is `facts`: the registry orders it after
the simulated tables, and the run starts it once those two are written), hence
its counts equal counts over those facts by construction. One row per (customer, product) pair
with at least one purchase, product view or add-to-cart over the horizon; no
recommendation-only rows are produced, so days_since_last_interaction is
never NULL here.

  purchase_count        sales lines (not units) of the pair in gold_sales_fact, any channel, returned lines included
  view_count            event_type = 'product_view' events of the pair
  cart_add_count        event_type = 'add_to_cart' events of the pair
  days_since_last_interaction
                        datediff(end_date, last day of any of those), days from dates
                        (sales: to_date of date_key as yyyyMMdd; events: to_date(event_timestamp))
  *_to_purchase_ratio   purchase_count / view_count, purchase_count / cart_add_count; NULL when the divisor is 0
  affinity_score        (1 - exp(-(3 purchases + 1.5 cart adds + 0.5 views) / 3)) * exp(-days since / 90),
                        rounded to 4 decimals: saturating in interactions, halving about every 62 days
  recommendation_rank   row_number within the customer by affinity_score desc, then product_key asc
  predicted_cltv_impact affinity_score * unit value * (1 - returned share of the pair's lines), rounded to cents;
                        unit value = mean net_sales_amount / quantity_sold of the pair's lines, else the mean
                        event_value (the day's selling price) of its view and cart events; never negative here
  calculation_date      end_date of the run

The affinity is computed in two steps. The facts are first summed per pair into
`_retail_synth_affinity_pairs` (counts, DECIMAL sums of the unit values, their
means, the last day; one row per pair), a state table like `_retail_synth_state`;
the aggregate is then derived from those and the end date. An extend sums only
the rows it added and adds them to the pairs they touch (the other pairs are kept
as they are); every row of the aggregate depends on the end date, so it is
derived again, but no earlier fact is read again. The sums are
DECIMAL and the means are divided as Spark's avg() divides them, so the aggregate
equals the one a single pass over the facts gives, however many commits the
facts came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import types as T

from retail_synth.spark.delta_tables import Target, table_version
from retail_synth.spark.state_table import AFFINITY_PAIRS_TABLE, replace_state_table
from retail_synth.spec.contracts import load_contract
from retail_synth.spec.ids import VERSION_KEY_STRIDE
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables import customer_event_fact, sales_fact

AFFINITY_TABLE = "gold_customer_product_affinity_agg"
READS = (sales_fact.TABLE, customer_event_fact.TABLE)
PURCHASE_WEIGHT, CART_ADD_WEIGHT, VIEW_WEIGHT = 3.0, 1.5, 0.5
SATURATION_INTERACTIONS = 3.0       # weighted interactions giving 1 - 1/e of the full score
RECENCY_DAYS = 90.0                 # e-folding time of the score with the days since the last interaction

# A pair's means, from its sums: divided as avg() divides, the DECIMAL sum by the count as DECIMAL(20, 0), cast to
# avg's result type (over DECIMAL(31, 13) net/quantity: DECIMAL(35, 17); over DECIMAL(30, 10) event values:
# DECIMAL(34, 14); over 1.0/0.0 return flags, DECIMAL(2, 1): DECIMAL(6, 5)), so they equal avg() over the facts.
MEANS_SQL = """
SELECT *,
       coalesce(
         CASE WHEN purchase_count > 0 THEN CAST(CAST(
           paid_value_sum / CAST(purchase_count AS DECIMAL(20, 0)) AS DECIMAL(35, 17)) AS DOUBLE) END,
         CASE WHEN view_count + cart_add_count > 0 THEN CAST(CAST(
           shown_value_sum / CAST(view_count + cart_add_count AS DECIMAL(20, 0)) AS DECIMAL(34, 14)) AS DOUBLE) END,
         0.0) AS unit_value,
       CASE WHEN purchase_count > 0 THEN CAST(
         CAST(returned_count AS DECIMAL(12, 1)) / CAST(purchase_count AS DECIMAL(20, 0)) AS DECIMAL(6, 5))
         ELSE 0.0 END AS returned_share
FROM ({sums})
"""

# A customer is their durable id: every version's pairs add up under the first version's key (the key modulo the
# version stride), so a recommendation follows the person, and a later version never splits a pair.
DURABLE_KEY = f"pmod(customer_key, {VERSION_KEY_STRIDE})"

PAIR_SUMS_SQL = MEANS_SQL.format(sums="""
WITH purchases AS (
  SELECT {durable_key} AS customer_key, product_key,
         count(*) AS purchase_count,
         count_if(is_return) AS returned_count,
         sum(CAST(net_sales_amount AS DECIMAL(20, 2)) / quantity_sold) AS paid_value_sum,
         max(to_date(cast(date_key AS string), 'yyyyMMdd')) AS last_purchase
  FROM {sales}
  GROUP BY {durable_key}, product_key
), browsing AS (
  SELECT {durable_key} AS customer_key, product_key,
         count_if(event_type = 'product_view') AS view_count,
         count_if(event_type = 'add_to_cart') AS cart_add_count,
         sum(CAST(event_value AS DECIMAL(30, 10))) AS shown_value_sum,
         max(to_date(event_timestamp)) AS last_event
  FROM {events}
  WHERE event_type IN ('product_view', 'add_to_cart') AND product_key IS NOT NULL
  GROUP BY {durable_key}, product_key
)
SELECT customer_key, product_key,
       coalesce(p.purchase_count, 0) AS purchase_count,
       coalesce(p.returned_count, 0) AS returned_count,
       p.paid_value_sum,
       coalesce(b.view_count, 0) AS view_count,
       coalesce(b.cart_add_count, 0) AS cart_add_count,
       b.shown_value_sum,
       greatest(p.last_purchase, b.last_event) AS last_interaction
FROM purchases p FULL OUTER JOIN browsing b USING (customer_key, product_key)
""").replace("{durable_key}", DURABLE_KEY)

# An extend's pair sums: the held rows of the pairs its new rows do not touch as they are (a broadcast anti join,
# no shuffle of the held table), the touched ones added up with the new sums and their means taken again.
# sum() keeps a DECIMAL(38, s) sum at scale s, where `+` of two would drop a digit of scale.
ADDED_PAIR_SUMS_SQL = """
WITH touched AS (SELECT customer_key, product_key FROM {added})
SELECT /*+ BROADCAST(t) */ h.* FROM {held} h LEFT ANTI JOIN touched t USING (customer_key, product_key)
UNION ALL
""" + MEANS_SQL.format(sums="""
SELECT customer_key, product_key,
       sum(purchase_count) AS purchase_count, sum(returned_count) AS returned_count,
       sum(paid_value_sum) AS paid_value_sum, sum(view_count) AS view_count,
       sum(cart_add_count) AS cart_add_count, sum(shown_value_sum) AS shown_value_sum,
       max(last_interaction) AS last_interaction
FROM (SELECT /*+ BROADCAST(t) */ h.* FROM {held} h LEFT SEMI JOIN touched t USING (customer_key, product_key)
      UNION ALL
      SELECT * FROM {added})
GROUP BY customer_key, product_key
""")

AFFINITY_SQL = """
WITH pairs AS (
  SELECT customer_key, product_key, purchase_count, view_count, cart_add_count, unit_value, returned_share,
         datediff(DATE'{end_date}', last_interaction) AS days_since_last_interaction
  FROM {pairs}
), scored AS (
  SELECT *,
         round((1 - exp(-({purchase_weight} * purchase_count + {cart_add_weight} * cart_add_count
                          + {view_weight} * view_count) / {saturation}))
               * exp(-days_since_last_interaction / {recency_days}), 4) AS affinity_score
  FROM pairs
)
SELECT customer_key,
       product_key,
       affinity_score,
       CAST(purchase_count AS INT) AS purchase_count,
       CAST(view_count AS INT) AS view_count,
       CAST(cart_add_count AS INT) AS cart_add_count,
       CAST(days_since_last_interaction AS INT) AS days_since_last_interaction,
       CASE WHEN view_count > 0 THEN purchase_count / view_count END AS view_to_purchase_ratio,
       CASE WHEN cart_add_count > 0 THEN purchase_count / cart_add_count END AS cart_to_purchase_ratio,
       CAST(row_number() OVER (PARTITION BY customer_key ORDER BY affinity_score DESC, product_key) AS INT)
         AS recommendation_rank,
       round(affinity_score * unit_value * (1 - returned_share), 2) AS predicted_cltv_impact,
       DATE'{end_date}' AS calculation_date
FROM scored
"""

PAIRS_SCHEMA = T.StructType([
    T.StructField("customer_key", T.IntegerType(), False),
    T.StructField("product_key", T.IntegerType(), False),
    T.StructField("purchase_count", T.LongType(), False),
    T.StructField("returned_count", T.LongType(), False),
    T.StructField("paid_value_sum", T.DecimalType(38, 13), True),       # NULL: no purchase
    T.StructField("view_count", T.LongType(), False),
    T.StructField("cart_add_count", T.LongType(), False),
    T.StructField("shown_value_sum", T.DecimalType(38, 10), True),      # NULL: no view or cart add
    T.StructField("last_interaction", T.DateType(), False),
    T.StructField("unit_value", T.DoubleType(), False),               # the means the aggregate reads
    T.StructField("returned_share", T.DecimalType(6, 5), False),
])


@dataclass(frozen=True)
class Affinity:
    """How a run gets the affinity aggregate: the pair sums first (a state table), then the aggregate from them.

    `held_versions` are the versions of gold_sales_fact and
    gold_customer_event_fact whose rows the target's pair sums already hold
    (an extend), or None: sum every fact (a generate). An extend's new rows
    are the inserts of the commits after them, not the rows after a date: it
    also adds events of earlier days (those of carts it decided).
    """

    spark: Any                     # a SparkSession, classic or Connect
    target: Target
    config: RunConfig
    held_versions: dict[str, int] | None = None

    def write_pair_sums(self, run_id: str, last_day: int) -> int:
        """Replace `_retail_synth_affinity_pairs` with the sums through the run's last day, in ONE commit."""
        sums = self.spark.sql(PAIR_SUMS_SQL, sales=self._new_rows(sales_fact.TABLE),
                              events=self._new_rows(customer_event_fact.TABLE))
        if self.held_versions is not None:
            sums = self.spark.sql(ADDED_PAIR_SUMS_SQL, held=self.target.read(self.spark, AFFINITY_PAIRS_TABLE),
                                  added=sums)
        return replace_state_table(self.spark, sums, self.target, AFFINITY_PAIRS_TABLE, PAIRS_SCHEMA, run_id,
                                   last_day, "retail-synth's sums per customer and product behind "
                                   "gold_customer_product_affinity_agg (what extend adds to); not a gold table.")

    def _new_rows(self, table: str):
        if self.held_versions is None:
            return self.target.read(self.spark, table)
        held = self.held_versions[table]
        if table_version(self.spark, self.target, table) == held:      # the run added no row: no commit to read
            return self.target.read(self.spark, table).limit(0)
        return self.target.read_inserted(self.spark, table, held)

    def frame(self):
        """The affinity aggregate of the run, from the written pair sums and the end date."""
        query = AFFINITY_SQL.format(
            pairs="{pairs}", end_date=self.config.end_date.isoformat(),
            purchase_weight=PURCHASE_WEIGHT, cart_add_weight=CART_ADD_WEIGHT, view_weight=VIEW_WEIGHT,
            saturation=SATURATION_INTERACTIONS, recency_days=RECENCY_DAYS,
        )
        frame = self.spark.sql(query, pairs=self.target.read(self.spark, AFFINITY_PAIRS_TABLE))
        return frame.select(*load_contract(AFFINITY_TABLE).column_names)
