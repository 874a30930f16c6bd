-- check: customer_movers_share
-- description: Customers who move to another store's city in a year: versions whose nearest_store_id differs from the previous version's, per customer and year of the horizon.
-- min_sample: 1000
-- The horizon is the span of gold_sales_fact's dates; the sample is the customers.
WITH horizon AS (
  SELECT datediff(max(d.calendar_date), min(d.calendar_date)) + 1 AS days
  FROM (SELECT min(date_key) AS first_key, max(date_key) AS last_key FROM gold_sales_fact) AS s
  JOIN gold_date_dim AS d ON d.date_key IN (s.first_key, s.last_key)
), versions AS (
  SELECT customer_id, nearest_store_id,
         lag(nearest_store_id) OVER (PARTITION BY customer_id ORDER BY effective_date, customer_key) AS previous_store
  FROM gold_customer_dim
), customers AS (
  SELECT count(DISTINCT customer_id) AS customers, count_if(nearest_store_id <> previous_store) AS moves FROM versions
)
SELECT c.moves * 365.0 / h.days / c.customers AS value, c.customers AS sample
FROM customers AS c CROSS JOIN horizon AS h;
