-- check: stockout_lost_units
-- description: Units of the purchase attempts lost to stockouts, summed over all stockout events.
-- bound: value > 0
SELECT coalesce(sum(lost_sales_quantity), 0) AS value
FROM gold_stockout_events;
