-- check: customer_version_of_carts
-- description: Abandoned carts whose customer_key is not the customer's version in effect on their date (date_key between effective_date and expiration_date), or no version at all.
-- bound: value = 0
SELECT count(*) AS value
FROM gold_cart_abandonment_fact AS f
JOIN gold_date_dim AS d ON d.date_key = f.date_key
LEFT JOIN gold_customer_dim AS c ON c.customer_key = f.customer_key
WHERE c.customer_key IS NULL OR d.calendar_date < c.effective_date OR d.calendar_date > c.expiration_date;
