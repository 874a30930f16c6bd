-- check: sale_movements_match_lines
-- description: Sale lines without exactly one matching 'sale' movement (same line, product, location, day, units), plus 'sale' movements without a line.
-- bound: value = 0
WITH sale_movements AS (
  SELECT reference_id AS line_item_id, product_key, from_location_key AS location_key, date_key, quantity
  FROM gold_inventory_movement_fact
  WHERE movement_type = 'sale'
),
matched AS (
  SELECT s.line_item_id AS line_side, m.line_item_id AS movement_side,
         s.product_key = m.product_key AND s.location_key = m.location_key
           AND s.date_key = m.date_key AND s.quantity_sold = m.quantity AS agrees,
         count(*) OVER (PARTITION BY coalesce(s.line_item_id, m.line_item_id)) AS pairs
  FROM gold_sales_fact AS s
  FULL OUTER JOIN sale_movements AS m ON m.line_item_id = s.line_item_id
)
SELECT count_if(line_side IS NULL OR movement_side IS NULL OR NOT agrees OR pairs > 1) AS value
FROM matched;
