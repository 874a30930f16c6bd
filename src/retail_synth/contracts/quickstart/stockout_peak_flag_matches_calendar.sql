-- check: stockout_peak_flag_matches_calendar
-- description: Stockout events whose peak_season_flag differs from gold_date_dim.is_peak_season of their start date.
-- bound: value = 0
SELECT count_if(d.is_peak_season IS DISTINCT FROM e.peak_season_flag) AS value
FROM gold_stockout_events AS e
LEFT JOIN gold_date_dim AS d ON d.date_key = e.stockout_start_date_key;
