-- Runs once when the compose PostgreSQL volume is created. The services
-- migrate as the owner role (o2c) and then work as o2c_app, a role that owns
-- no tables, so the event store's immutability holds by grants as well as by
-- triggers.
CREATE ROLE o2c_app LOGIN PASSWORD 'o2c_app';
