-- check: peak_day_rank
-- description: Worst rank, by orders, of Black Friday and Cyber Monday among all days of the horizon (1 = busiest day).
-- min_sample: 1
-- The sample is the number of Black Fridays and Cyber Mondays in the horizon; a horizon without one is TOO_SMALL.
WITH daily AS (
  SELECT date_key, count(DISTINCT transaction_id) AS orders FROM gold_sales_fact GROUP BY date_key
),
ranked AS (
  SELECT date_key, rank() OVER (ORDER BY orders DESC) AS day_rank FROM daily
)
SELECT max(r.day_rank) AS value, count(*) AS sample
FROM ranked AS r JOIN gold_date_dim AS d ON r.date_key = d.date_key
WHERE d.holiday_name IN ('Black Friday', 'Cyber Monday');
