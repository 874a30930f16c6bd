-- check: scenario_growth_factor
-- description: Orders of the last 30 days of the horizon over orders of the first 30 days; growth-phase promises at least scenario.promised_growth_factor.
-- bound: value >= {scenario.promised_growth_factor}
-- min_sample: 60
-- `sample` is the horizon in days: the two 30-day windows must not overlap.
WITH days AS (
  SELECT min(date_key) AS first_key, max(date_key) AS last_key, count(DISTINCT date_key) AS horizon
  FROM gold_inventory_fact
),
bounds AS (
  SELECT horizon,
         date_format(date_add(to_date(cast(first_key AS string), 'yyyyMMdd'), 29), 'yyyyMMdd') AS first_end,
         date_format(date_sub(to_date(cast(last_key AS string), 'yyyyMMdd'), 29), 'yyyyMMdd') AS last_start
  FROM days
)
SELECT count(DISTINCT CASE WHEN s.date_key >= cast(b.last_start AS int) THEN s.transaction_id END)
       / count(DISTINCT CASE WHEN s.date_key <= cast(b.first_end AS int) THEN s.transaction_id END) AS value,
       max(b.horizon) AS sample
FROM gold_sales_fact AS s CROSS JOIN bounds AS b;
