-- check: anomaly_shrinkage_matches_adjustments
-- description: Shrinkage labels without exactly one 'adjustment' movement out of their location on their day of their magnitude in units, plus such write-offs without a label.
-- bound: value = 0
-- (coalesce: on a run without such labels some databases sum no rows to NULL, not 0)
-- A stock count that finds units missing writes them off: an 'adjustment' leaving the location
-- (from_location_key set); the opening balance is an 'adjustment' entering it, so it is not counted.
WITH labels AS (
  SELECT product_key, location_key, start_date_key AS date_key, magnitude
  FROM gold_anomaly_label WHERE anomaly_type = 'shrinkage'
),
write_offs AS (
  SELECT product_key, from_location_key AS location_key, date_key, sum(quantity) AS quantity, count(*) AS movements
  FROM gold_inventory_movement_fact
  WHERE movement_type = 'adjustment' AND from_location_key IS NOT NULL
  GROUP BY product_key, from_location_key, date_key
)
SELECT coalesce(count_if(l.product_key IS NULL OR w.product_key IS NULL OR w.movements <> 1 OR w.quantity <> l.magnitude), 0) AS value
FROM labels AS l
FULL OUTER JOIN write_offs AS w USING (product_key, location_key, date_key);
