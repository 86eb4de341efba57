-- One name per concept across the warehouse: a count of customers is `customers` in our own
-- tables (the seed's fact_interrupciones keeps its `clientes_afectados`). Warehouses created
-- before are renamed in place when the warehouse ensures its schema; a rename runs only where the
-- old column still exists, so this file is safe to apply any number of times.
ALTER TABLE silver.region_customers RENAME COLUMN clientes TO customers;
ALTER TABLE silver.national_hourly RENAME COLUMN clientes TO customers;
