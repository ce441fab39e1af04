// Package nats holds the NATS server configuration of the deployment
// (nats-server.conf: the account O2C with a user per service and per shop)
// and the tests that load that very file into an embedded server: a shop
// publishes only for its own tenant and reads no stream, a service
// publishes only on its own subjects, the services run with their users,
// and the ledger takes each command only from its entitled sender.
// README.md says what each user may do and how to add a shop.
package nats
