-- check: units_per_transaction
-- description: Units sold per order (UPT), store and digital orders together.
-- min_sample: 1000
SELECT sum(quantity_sold) / count(DISTINCT transaction_id) AS value, count(DISTINCT transaction_id) AS sample
FROM gold_sales_fact;
