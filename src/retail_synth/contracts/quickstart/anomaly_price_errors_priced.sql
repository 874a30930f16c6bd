-- check: anomaly_price_errors_priced
-- description: Sales lines of a product on a day of its price-error label that did not sell at the label's magnitude x list price (to the cent).
-- bound: value = 0
-- (coalesce: on a run without such labels some databases sum no rows to NULL, not 0)
-- The discount of a line is rounded to cents, and so is its net amount: 0.011 absorbs both roundings.
SELECT coalesce(count_if(abs(s.net_sales_amount - s.quantity_sold * s.unit_price * l.magnitude) > 0.011), 0) AS value
FROM gold_anomaly_label AS l
JOIN gold_sales_fact AS s
  ON s.product_key = l.product_key AND s.date_key BETWEEN l.start_date_key AND l.end_date_key
WHERE l.anomaly_type = 'price_error';
