-- check: anomaly_node_outage_idle
-- description: Receipts and sales lines at a location during its node-outage label's window: an out-of-service node receives and ships nothing.
-- bound: value = 0
-- Returns of the node's earlier orders are still put back on its shelves (docs/scenarios.md, gold_anomaly_label), so
-- 'return' movements are not counted.
WITH outages AS (
  SELECT location_key, start_date_key, end_date_key FROM gold_anomaly_label WHERE anomaly_type = 'node_outage'
)
SELECT
  (SELECT count(*) FROM gold_inventory_movement_fact AS m JOIN outages AS o
     ON m.to_location_key = o.location_key AND m.date_key BETWEEN o.start_date_key AND o.end_date_key
   WHERE m.movement_type = 'receipt')
  + (SELECT count(*) FROM gold_sales_fact AS s JOIN outages AS o
     ON s.location_key = o.location_key AND s.date_key BETWEEN o.start_date_key AND o.end_date_key) AS value;
