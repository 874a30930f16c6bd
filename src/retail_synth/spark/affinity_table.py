"""gold_customer_product_affinity_agg, derived in Spark SQL from the written sales and event facts.

It reads gold_sales_fact and gold_customer_event_fact of the same run back
from the target (its contract's source is `facts`, which the registry writes
after every simulated table), hence its counts equal
counts over those facts by construction. One row per (customer, product) pair
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
The means are summed in DECIMAL, exactly, so they do not depend on the order Spark
reads the facts' files in: a table written in two commits (generate, then extend)
gives the same aggregate as one written in one.
"""

from __future__ import annotations

from retail_synth.spec.contracts import load_contract
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables import customer_event_fact, sales_fact

AFFINITY_TABLE = "gold_customer_product_affinity_agg"
READS = (sales_fact.TABLE, customer_event_fact.TABLE)
PURCHASE_WEIGHT, CART_ADD_WEIGHT, VIEW_WEIGHT = 3.0, 1.5, 0.5
SATURATION_INTERACTIONS = 3.0       # weighted interactions giving 1 - 1/e of the full score
RECENCY_DAYS = 90.0                 # e-folding time of the score with the days since the last interaction

AFFINITY_SQL = """
WITH purchases AS (
  SELECT customer_key, product_key,
         count(*) AS purchase_count,
         max(to_date(cast(date_key AS string), 'yyyyMMdd')) AS last_purchase,
         CAST(avg(CAST(net_sales_amount AS DECIMAL(20, 2)) / quantity_sold) AS DOUBLE) AS paid_unit_value,
         avg(CASE WHEN is_return THEN 1.0 ELSE 0.0 END) AS returned_share
  FROM {sales}
  GROUP BY customer_key, product_key
), browsing AS (
  SELECT customer_key, product_key,
         count_if(event_type = 'product_view') AS view_count,
         count_if(event_type = 'add_to_cart') AS cart_add_count,
         max(to_date(event_timestamp)) AS last_event,
         CAST(avg(CAST(event_value AS DECIMAL(30, 10))) AS DOUBLE) AS shown_unit_value
  FROM {events}
  WHERE event_type IN ('product_view', 'add_to_cart') AND product_key IS NOT NULL
  GROUP BY customer_key, product_key
), pairs AS (
  SELECT customer_key, product_key,
         coalesce(p.purchase_count, 0) AS purchase_count,
         coalesce(b.view_count, 0) AS view_count,
         coalesce(b.cart_add_count, 0) AS cart_add_count,
         datediff(DATE'{end_date}', greatest(p.last_purchase, b.last_event)) AS days_since_last_interaction,
         coalesce(p.paid_unit_value, b.shown_unit_value, 0.0) AS unit_value,
         coalesce(p.returned_share, 0.0) AS returned_share
  FROM purchases p FULL OUTER JOIN browsing b USING (customer_key, product_key)
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


def affinity_frame(spark, target, config: RunConfig):
    """The affinity aggregate of the run, from its written gold_sales_fact and gold_customer_event_fact."""
    query = AFFINITY_SQL.format(
        sales="{sales}", events="{events}", end_date=config.end_date.isoformat(),
        purchase_weight=PURCHASE_WEIGHT, cart_add_weight=CART_ADD_WEIGHT, view_weight=VIEW_WEIGHT,
        saturation=SATURATION_INTERACTIONS, recency_days=RECENCY_DAYS,
    )
    frame = spark.sql(
        query,
        sales=target.read(spark, sales_fact.TABLE),
        events=target.read(spark, customer_event_fact.TABLE),
    )
    return frame.select(*load_contract(AFFINITY_TABLE).column_names)
