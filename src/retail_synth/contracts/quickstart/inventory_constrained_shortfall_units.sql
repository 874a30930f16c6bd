-- check: inventory_constrained_shortfall_units
-- description: Units requested but not sold on partly filled sale lines.
-- bound: value > 0
SELECT coalesce(sum(quantity_requested - quantity_sold), 0) AS value
FROM gold_sales_fact
WHERE is_inventory_constrained;
