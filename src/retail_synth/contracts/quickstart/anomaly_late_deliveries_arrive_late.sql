-- check: anomaly_late_deliveries_arrive_late
-- description: Late-delivery labels whose position has no receipt on the label's end date, or whose magnitude is not the days from due date to arrival.
-- bound: value = 0
-- (coalesce: on a run without such labels some databases sum no rows to NULL, not 0)
SELECT coalesce(count_if(
         r.product_key IS NULL
         OR datediff(to_date(cast(l.end_date_key AS string), 'yyyyMMdd'),
                     to_date(cast(l.start_date_key AS string), 'yyyyMMdd')) <> l.magnitude
       ), 0) AS value
FROM gold_anomaly_label AS l
LEFT JOIN (
  SELECT DISTINCT product_key, to_location_key AS location_key, date_key
  FROM gold_inventory_movement_fact WHERE movement_type = 'receipt'
) AS r
  ON r.product_key = l.product_key AND r.location_key = l.location_key AND r.date_key = l.end_date_key
WHERE l.anomaly_type = 'late_delivery';
