-- check: negative_available_rows
-- description: Inventory rows with negative available stock.
-- bound: value = 0
SELECT count(*) AS value
FROM gold_inventory_fact
WHERE quantity_available < 0;
