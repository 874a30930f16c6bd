-- check: scenario_peak_factor
-- description: Orders per day on peak-season days over orders per day on the other days of the horizon; peak-season promises at least scenario.promised_peak_factor.
-- bound: value >= {scenario.promised_peak_factor}
-- min_sample: 7
-- `sample` is the smaller of the numbers of days in and outside peak season: without a week of each there is
-- nothing to compare (a run without peak-season days is TOO_SMALL, not a failure).
-- An order is a distinct transaction of gold_sales_fact.
WITH daily AS (
  SELECT d.is_peak_season, s.date_key, count(DISTINCT s.transaction_id) AS orders
  FROM gold_sales_fact AS s JOIN gold_date_dim AS d ON d.date_key = s.date_key
  GROUP BY d.is_peak_season, s.date_key
)
SELECT avg(CASE WHEN is_peak_season THEN orders END) / avg(CASE WHEN NOT is_peak_season THEN orders END) AS value,
       least(count_if(is_peak_season), count_if(NOT is_peak_season)) AS sample
FROM daily;
