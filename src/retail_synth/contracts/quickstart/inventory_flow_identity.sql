-- check: inventory_flow_identity
-- description: Position-days whose on hand differs from the sum of all movements of the position up to that day.
-- bound: value = 0
-- A movement adds its quantity at to_location_key and subtracts it at from_location_key. The first
-- horizon day carries an opening 'adjustment' movement, so on_hand(d) = sum of the position's movements
-- on days <= d: this checks on_hand(d) - on_hand(d-1) = net movements of day d on every day, the first
-- included. A position-day with movements but no inventory row counts as a mismatch too.
WITH movement_net AS (
  SELECT product_key, location_key, date_key, sum(signed_quantity) AS net_quantity
  FROM (
    SELECT product_key, to_location_key AS location_key, date_key, quantity AS signed_quantity
    FROM gold_inventory_movement_fact WHERE to_location_key IS NOT NULL
    UNION ALL
    SELECT product_key, from_location_key AS location_key, date_key, -quantity AS signed_quantity
    FROM gold_inventory_movement_fact WHERE from_location_key IS NOT NULL
  ) AS signed
  GROUP BY product_key, location_key, date_key
),
position_days AS (
  SELECT
    quantity_on_hand,
    sum(coalesce(net_quantity, 0)) OVER (
      PARTITION BY product_key, location_key ORDER BY date_key
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS cumulative_net
  FROM gold_inventory_fact
  FULL OUTER JOIN movement_net USING (product_key, location_key, date_key)
)
SELECT count_if(quantity_on_hand IS NULL OR quantity_on_hand <> cumulative_net) AS value
FROM position_days;
