-- check: customer_version_of_size_fit
-- description: Size-fit rows whose customer_key is not that of their sales line (the version in effect on the sale's date).
-- bound: value = 0
SELECT count(*) AS value
FROM gold_size_fit_bridge AS b
JOIN gold_sales_fact AS s ON s.line_item_id = b.line_item_id
WHERE b.customer_key <> s.customer_key;
