-- check: return_movements_match_lines
-- description: Returned lines restocked inside the horizon without exactly one matching 'return' movement, plus 'return' movements with no such line.
-- bound: value = 0
-- A return puts the sold units back at the selling location at the start of return_restocked_date_key;
-- a restock after the last inventory day falls outside the simulated window and moves nothing.
WITH restocked_lines AS (
  SELECT line_item_id, product_key, location_key, return_restocked_date_key AS date_key, quantity_sold AS quantity
  FROM gold_sales_fact
  WHERE is_return AND return_restocked_date_key <= (SELECT max(date_key) FROM gold_inventory_fact)
),
return_movements AS (
  SELECT reference_id AS line_item_id, product_key, to_location_key AS location_key, date_key, quantity
  FROM gold_inventory_movement_fact
  WHERE movement_type = 'return'
),
matched AS (
  SELECT r.line_item_id AS line_side, m.line_item_id AS movement_side,
         r.product_key = m.product_key AND r.location_key = m.location_key
           AND r.date_key = m.date_key AND r.quantity = m.quantity AS agrees,
         count(*) OVER (PARTITION BY coalesce(r.line_item_id, m.line_item_id)) AS pairs
  FROM restocked_lines AS r
  FULL OUTER JOIN return_movements AS m ON m.line_item_id = r.line_item_id
)
SELECT count_if(line_side IS NULL OR movement_side IS NULL OR NOT agrees OR pairs > 1) AS value
FROM matched;
