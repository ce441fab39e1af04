-- Runs once when the compose PostgreSQL volume is created. The services
-- migrate as the owner role (o2c) and then work as <service>_app, a role that owns
-- no tables, so the event store's immutability holds by grants as well as by
-- triggers.
CREATE ROLE ingestion_app LOGIN PASSWORD 'ingestion_app';
CREATE ROLE ledger_app LOGIN PASSWORD 'ledger_app';
CREATE ROLE matching_app LOGIN PASSWORD 'matching_app';
CREATE ROLE refund_import_app LOGIN PASSWORD 'refund_import_app';
CREATE ROLE dunning_app LOGIN PASSWORD 'dunning_app';
CREATE ROLE collections_app LOGIN PASSWORD 'collections_app';
