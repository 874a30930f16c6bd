-- check: inventory_constrained_lines
-- description: Sale lines partly filled because stock ran out (quantity_sold < quantity_requested).
-- bound: value > 0
SELECT count(*) AS value
FROM gold_sales_fact
WHERE is_inventory_constrained;
