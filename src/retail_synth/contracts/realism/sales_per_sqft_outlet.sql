-- check: sales_per_sqft_outlet
-- description: Kept sales per selling square foot per year of the outlet stores: net sales (after discounts, excluding tax; refunded returns taken off, an exchange keeps its sale) of the lines the outlet stores filled, annualised over the horizon, over their selling_sqft.
-- min_sample: 1000
-- The horizon is the span of gold_sales_fact's dates; the sample is the sale lines of those stores.
WITH horizon AS (
  SELECT datediff(max(d.calendar_date), min(d.calendar_date)) + 1 AS days
  FROM (SELECT min(date_key) AS first_key, max(date_key) AS last_key FROM gold_sales_fact) AS s
  JOIN gold_date_dim AS d ON d.date_key IN (s.first_key, s.last_key)
), stores AS (
  SELECT location_key, selling_sqft FROM gold_location_dim WHERE location_type = 'store' AND store_format = 'outlet'
), kept AS (
  SELECT sum(CASE WHEN s.is_return AND NOT s.is_exchange THEN 0.0 ELSE s.net_sales_amount END) AS sales, count(*) AS lines
  FROM gold_sales_fact AS s JOIN stores AS l ON s.location_key = l.location_key
)
SELECT k.sales * 365.0 / h.days / (SELECT sum(selling_sqft) FROM stores) AS value, k.lines AS sample
FROM kept AS k CROSS JOIN horizon AS h;
