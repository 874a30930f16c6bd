-- check: event_timestamps_out_of_order
-- description: Events whose timestamp is not strictly later than the previous event of their session, or whose date_key/time_key disagree with event_timestamp.
-- bound: value = 0
WITH ordered AS (
  SELECT event_timestamp, date_key, time_key,
         lag(event_timestamp) OVER (PARTITION BY session_id ORDER BY event_timestamp, event_id) AS previous
  FROM gold_customer_event_fact
)
SELECT count_if(
         (previous IS NOT NULL AND event_timestamp <= previous)
         OR date_key <> cast(date_format(event_timestamp, 'yyyyMMdd') AS INT)
         OR time_key <> hour(event_timestamp) * 100 + floor(minute(event_timestamp) / 15) * 15
       ) AS value
FROM ordered;
