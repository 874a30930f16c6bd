-- check: store_return_rate
-- description: Share of the sales lines of store orders that were returned; its range lies below digital_return_rate's.
-- min_sample: 1000
SELECT avg(CASE WHEN s.is_return THEN 1.0 ELSE 0.0 END) AS value, count(*) AS sample
FROM gold_sales_fact AS s JOIN gold_channel_dim AS c ON s.channel_key = c.channel_key
WHERE NOT c.is_digital;
