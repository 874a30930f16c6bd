-- check: sales_exceeding_stock
-- description: Sale lines that sold more units than were available just before the line was filled.
-- bound: value = 0
SELECT count(*) AS value
FROM gold_sales_fact
WHERE quantity_sold > inventory_at_purchase;
