-- check: affinity_counts_match_facts
-- description: Difference between the affinity aggregate's totals and the facts: purchase_count against sales lines, view_count against product views, cart_add_count against add-to-cart events.
-- bound: value = 0
WITH affinity AS (
  SELECT sum(purchase_count) AS purchases, sum(view_count) AS views, sum(cart_add_count) AS cart_adds
  FROM gold_customer_product_affinity_agg
),
sales AS (SELECT count(*) AS purchases FROM gold_sales_fact),
events AS (
  SELECT count_if(event_type = 'product_view' AND product_key IS NOT NULL) AS views,
         count_if(event_type = 'add_to_cart' AND product_key IS NOT NULL) AS cart_adds
  FROM gold_customer_event_fact
)
SELECT abs(a.purchases - s.purchases) + abs(a.views - e.views) + abs(a.cart_adds - e.cart_adds) AS value
FROM affinity AS a CROSS JOIN sales AS s CROSS JOIN events AS e;
