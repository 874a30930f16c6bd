-- check: return_restock_delay_min
-- description: Shortest delay in days from a returned sale to its restock, computed on calendar dates.
-- bound: value >= {returns.restock_delay_days_min}
-- Date keys are looked up in gold_date_dim: subtracting yyyymmdd integers is wrong across month ends.
SELECT min(datediff(restocked.calendar_date, sold.calendar_date)) AS value
FROM gold_sales_fact AS s
JOIN gold_date_dim AS sold ON sold.date_key = s.date_key
JOIN gold_date_dim AS restocked ON restocked.date_key = s.return_restocked_date_key
WHERE s.is_return;
