-- check: customers_order_after_acquisition
-- description: Sales lines dated before their customer's acquisition date (growth-phase acquires customers inside the horizon).
-- bound: value = 0
SELECT count(*) AS value
FROM gold_sales_fact AS s
JOIN gold_customer_dim AS c ON c.customer_key = s.customer_key
JOIN gold_date_dim AS d ON d.date_key = s.date_key
WHERE d.calendar_date < c.acquisition_date;
