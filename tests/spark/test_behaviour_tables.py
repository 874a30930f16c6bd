"""gold_customer_event_fact and gold_customer_product_affinity_agg as a real tiny run wrote them (Spark SQL)."""

from __future__ import annotations

import pytest

from retail_synth.spark.affinity_table import AFFINITY_TABLE
from retail_synth.spec.configuration import resolve

EVENTS, SALES, CARTS = "gold_customer_event_fact", "gold_sales_fact", "gold_cart_abandonment_fact"
# A fact's customer_key is the customer's version on its date; the affinity aggregate keys the person by the key of
# their first version (the earliest effective_date).
PERSON = """person AS (
  SELECT v.customer_key, f.first_key
  FROM {gold_customer_dim} v
  JOIN (SELECT customer_id, min_by(customer_key, effective_date) AS first_key FROM {gold_customer_dim}
        GROUP BY customer_id) f USING (customer_id))"""


@pytest.fixture(scope="module")
def sql(spark, tiny_run):
    """Run a query whose {placeholders} name gold tables of the tiny run."""
    tables = (EVENTS, SALES, CARTS, AFFINITY_TABLE, "gold_customer_dim", "gold_channel_dim")

    def run(query: str):
        return spark.sql(query, **{t: tiny_run.read(spark, t) for t in tables if "{" + t + "}" in query}).collect()

    return run


def value(rows):
    return rows[0][0]


def test_every_digital_order_has_exactly_one_checkout_complete_event(sql):
    rows = sql(f"""
        WITH orders AS (SELECT DISTINCT transaction_id FROM {{{SALES}}} WHERE pos_terminal_id IS NULL),
             purchases AS (SELECT event_label, count(*) AS n FROM {{{EVENTS}}} WHERE event_type = 'purchase'
                           GROUP BY event_label)
        SELECT count(o.transaction_id) AS orders,
               count_if(o.transaction_id IS NOT NULL AND coalesce(p.n, 0) <> 1) AS orders_without_one,
               count_if(o.transaction_id IS NULL) AS purchases_without_order
        FROM orders o FULL OUTER JOIN purchases p ON p.event_label = o.transaction_id""")
    assert rows[0]["orders"] > 20
    assert (rows[0]["orders_without_one"], rows[0]["purchases_without_order"]) == (0, 0)


def test_every_abandoned_cart_has_a_session_with_cart_adds_and_no_checkout_complete(sql):
    # link: the add_to_cart events of a cart's session carry its cart_id as event_label
    rows = sql(f"""
        WITH cart_sessions AS (SELECT DISTINCT event_label AS cart_id, session_id FROM {{{EVENTS}}}
                               WHERE event_type = 'add_to_cart'),
             session_purchases AS (SELECT session_id, count_if(event_type = 'purchase') AS purchases
                                   FROM {{{EVENTS}}} GROUP BY session_id)
        SELECT count(*) AS carts,
               count_if(s.session_id IS NULL) AS without_session,
               count_if(p.purchases > 0) AS with_purchase
        FROM {{{CARTS}}} c
        LEFT JOIN cart_sessions s ON s.cart_id = c.cart_id
        LEFT JOIN session_purchases p ON p.session_id = s.session_id""")
    assert rows[0]["carts"] > 20
    assert (rows[0]["without_session"], rows[0]["with_purchase"]) == (0, 0)


def test_browse_only_sessions_exist(sql):
    rows = sql(f"""
        SELECT count(*) FROM (
          SELECT session_id FROM {{{EVENTS}}} GROUP BY session_id
          HAVING count_if(event_type IN ('add_to_cart', 'checkout', 'purchase')) = 0
             AND count_if(event_type = 'product_view') > 0)""")
    assert value(rows) > 50


def test_timestamps_strictly_increase_within_sessions(sql):
    rows = sql(f"""
        SELECT count_if(previous >= event_timestamp), count_if(previous IS NOT NULL),
               count_if(unix_timestamp(event_timestamp) - unix_timestamp(previous) <> previous_time_on_page)
        FROM (SELECT event_timestamp,
                     lag(event_timestamp) OVER (PARTITION BY session_id ORDER BY event_id) AS previous,
                     lag(time_on_page_seconds) OVER (PARTITION BY session_id ORDER BY event_id) AS previous_time_on_page
              FROM {{{EVENTS}}})""")
    not_increasing, pairs, gap_mismatch = rows[0]
    assert pairs > 1000 and not_increasing == 0 and gap_mismatch == 0


def test_date_and_time_keys_agree_with_the_timestamp(sql):
    rows = sql(f"""
        SELECT count_if(date_key <> cast(date_format(event_timestamp, 'yyyyMMdd') AS int)),
               count_if(time_key <> hour(event_timestamp) * 100 + minute(event_timestamp) DIV 15 * 15)
        FROM {{{EVENTS}}}""")
    assert tuple(rows[0]) == (0, 0)


def test_no_event_before_the_customers_acquisition_or_outside_the_horizon(sql):
    rows = sql(f"""
        SELECT count_if(to_date(e.event_timestamp) < c.acquisition_date), min(to_date(e.event_timestamp)),
               max(to_date(e.event_timestamp)), count_if(c.customer_key IS NULL)
        FROM {{{EVENTS}}} e LEFT JOIN {{gold_customer_dim}} c USING (customer_key)""")
    before, first, last, unknown = rows[0]
    sales_days = sql(f"SELECT min(to_date(cast(date_key AS string), 'yyyyMMdd')), "
                     f"max(to_date(cast(date_key AS string), 'yyyyMMdd')) FROM {{{SALES}}}")[0]
    assert before == 0 and unknown == 0
    assert sales_days[0] <= first and last <= sales_days[1]


def test_device_and_geography_are_constant_within_a_session_and_geography_is_the_customers(sql):
    rows = sql(f"""
        SELECT count_if(n_devices > 1 OR n_geo > 1 OR n_channels > 1) FROM (
          SELECT session_id,
                 count(DISTINCT device_type, browser, operating_system) AS n_devices,
                 count(DISTINCT geo_city, geo_region, geo_country) AS n_geo,
                 count(DISTINCT channel_key, customer_key) AS n_channels
          FROM {{{EVENTS}}} GROUP BY session_id)""")
    assert value(rows) == 0
    rows = sql(f"""
        SELECT count_if(e.geo_city <> c.geo_city OR e.geo_region <> c.geo_region OR e.geo_country <> 'US')
        FROM {{{EVENTS}}} e JOIN {{gold_customer_dim}} c USING (customer_key)""")
    assert value(rows) == 0
    rows = sql(f"""
        SELECT count_if(ch.channel_code = 'APP_IOS' AND (e.browser <> 'app' OR e.operating_system <> 'ios'))
             + count_if(ch.channel_code = 'WEB_DESKTOP' AND e.device_type <> 'desktop')
        FROM {{{EVENTS}}} e JOIN {{gold_channel_dim}} ch USING (channel_key)""")
    assert value(rows) == 0


def test_affinity_counts_equal_the_facts(sql):
    rows = sql(f"""
        WITH {PERSON}, expected AS (
          SELECT first_key AS customer_key, product_key, sum(p) AS purchase_count, sum(v) AS view_count,
                 sum(a) AS cart_add_count
          FROM (SELECT customer_key, product_key, 1 AS p, 0 AS v, 0 AS a FROM {{{SALES}}}
                UNION ALL
                SELECT customer_key, product_key, 0, CAST(event_type = 'product_view' AS INT),
                       CAST(event_type = 'add_to_cart' AS INT)
                FROM {{{EVENTS}}} WHERE event_type IN ('product_view', 'add_to_cart')) JOIN person USING (customer_key)
          GROUP BY first_key, product_key)
        SELECT count(*) AS pairs,
               count_if(a.customer_key IS NULL OR x.customer_key IS NULL) AS unmatched,
               count_if(a.purchase_count <> x.purchase_count OR a.view_count <> x.view_count
                        OR a.cart_add_count <> x.cart_add_count) AS different
        FROM {{{AFFINITY_TABLE}}} a FULL OUTER JOIN expected x USING (customer_key, product_key)""")
    assert rows[0]["pairs"] > 100
    assert (rows[0]["unmatched"], rows[0]["different"]) == (0, 0)


def test_affinity_ranks_dates_and_scores(sql):
    rows = sql(f"""
        SELECT count_if(rank_gap), count(DISTINCT calculation_date), max(calculation_date),
               count_if(score_order), count_if(days_since_last_interaction IS NULL)
        FROM (SELECT calculation_date, days_since_last_interaction,
                     recommendation_rank <> row_number() OVER (PARTITION BY customer_key ORDER BY recommendation_rank)
                       AS rank_gap,
                     affinity_score > lag(affinity_score) OVER (PARTITION BY customer_key ORDER BY recommendation_rank)
                       AS score_order
              FROM {{{AFFINITY_TABLE}}})""")
    gaps, dates, calculation_date, unordered, undated = rows[0]
    assert (gaps, dates, unordered, undated) == (0, 1, 0, 0)
    assert calculation_date == resolve(preset="tiny").end_date
    rows = sql(f"""
        WITH {PERSON}
        SELECT count_if(days_since_last_interaction <> datediff(calculation_date, last_day))
        FROM {{{AFFINITY_TABLE}}} a JOIN (
          SELECT first_key AS customer_key, product_key, max(day) AS last_day FROM (
            SELECT customer_key, product_key, to_date(cast(date_key AS string), 'yyyyMMdd') AS day FROM {{{SALES}}}
            UNION ALL
            SELECT customer_key, product_key, to_date(event_timestamp) FROM {{{EVENTS}}}
            WHERE event_type IN ('product_view', 'add_to_cart')) JOIN person USING (customer_key)
          GROUP BY first_key, product_key) USING (customer_key, product_key)""")
    assert value(rows) == 0
