-- check: store_days_between_sales
-- description: Median over the store positions (product x store) that sell on two days or more of their mean days between two sale days.
-- min_sample: 100
-- Information: no published figure for fashion retail. A position selling on n days from first to last has
-- (last - first) / (n - 1) days between sales; positions that sell on fewer than two days have none. The sample is those positions.
WITH positions AS (
  SELECT s.location_key, s.product_key, count(DISTINCT d.calendar_date) AS sale_days,
         datediff(max(d.calendar_date), min(d.calendar_date)) AS span
  FROM gold_sales_fact AS s
  JOIN gold_location_dim AS l ON s.location_key = l.location_key
  JOIN gold_date_dim AS d ON s.date_key = d.date_key
  WHERE l.location_type = 'store'
  GROUP BY s.location_key, s.product_key
)
SELECT median(span * 1.0 / (sale_days - 1)) AS value, count(*) AS sample FROM positions WHERE sale_days >= 2;
