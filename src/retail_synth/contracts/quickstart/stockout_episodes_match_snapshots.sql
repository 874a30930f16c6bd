-- check: stockout_episodes_match_snapshots
-- description: Mismatches between stockout events and the runs of is_stockout in gold_inventory_fact (0 when every event is exactly one maximal run).
-- bound: value = 0
-- An event covers the days from stockout_start_date_key to stockout_end_date_key, or to the last
-- inventory day while it is open (NULL end). Counted as mismatches:
--   * stockout rows lying in no event or in more than one;
--   * the difference between the days the events cover and the number of stockout rows;
--   * events whose duration differs from the days they cover, whose day before the start is a
--     stockout, or which are closed but not followed by an in-stock row of the position.
-- Day arithmetic goes through gold_date_dim.calendar_date, never through yyyymmdd keys.
WITH horizon AS (
  SELECT max(date_key) AS last_key FROM gold_inventory_fact
),
events AS (
  SELECT e.stockout_id, e.product_key, e.location_key, e.stockout_duration_days,
         e.stockout_start_date_key AS start_key,
         coalesce(e.stockout_end_date_key, h.last_key) AS end_key,
         e.stockout_end_date_key IS NULL AS is_open,
         datediff(last_day.calendar_date, first_day.calendar_date) + 1 AS covered_days,
         date_sub(first_day.calendar_date, 1) AS day_before,
         date_add(last_day.calendar_date, 1) AS day_after
  FROM gold_stockout_events AS e
  CROSS JOIN horizon AS h
  LEFT JOIN gold_date_dim AS first_day ON first_day.date_key = e.stockout_start_date_key
  LEFT JOIN gold_date_dim AS last_day ON last_day.date_key = coalesce(e.stockout_end_date_key, h.last_key)
),
stockout_rows AS (
  SELECT i.product_key, i.location_key, i.date_key, count(e.stockout_id) AS events
  FROM gold_inventory_fact AS i
  LEFT JOIN events AS e
    ON e.product_key = i.product_key AND e.location_key = i.location_key
   AND i.date_key BETWEEN e.start_key AND e.end_key
  WHERE i.is_stockout
  GROUP BY i.product_key, i.location_key, i.date_key
),
event_bounds AS (
  SELECT e.stockout_duration_days, e.covered_days, e.is_open,
         before.is_stockout AS stockout_before,
         after.is_stockout AS stockout_after
  FROM events AS e
  LEFT JOIN gold_date_dim AS db ON db.calendar_date = e.day_before
  LEFT JOIN gold_inventory_fact AS before
    ON before.product_key = e.product_key AND before.location_key = e.location_key AND before.date_key = db.date_key
  LEFT JOIN gold_date_dim AS da ON da.calendar_date = e.day_after
  LEFT JOIN gold_inventory_fact AS after
    ON after.product_key = e.product_key AND after.location_key = e.location_key AND after.date_key = da.date_key
)
SELECT
  (SELECT count_if(events <> 1) FROM stockout_rows)
  + abs((SELECT coalesce(sum(covered_days), 0) FROM events) - (SELECT count(*) FROM stockout_rows))
  + (SELECT count_if(
       covered_days IS NULL
       OR stockout_duration_days <> covered_days
       OR coalesce(stockout_before, false)
       OR (NOT is_open AND stockout_after IS DISTINCT FROM false))
     FROM event_bounds)
  AS value;
