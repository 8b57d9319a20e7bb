// Package replicatest shows that the services scale out: its test starts two replicas of
// customers-api and two of orders-api (the real handlers and use cases, each replica with its
// own connection pool) on one MySQL database, puts a round-robin reverse proxy in front of
// each pair, and runs through the proxies what must hold whatever replica answers: the seed
// flow, the same-key confirm race, the last-units race, the login limit, and the reservation
// sweep of both replicas at once under load. It needs MySQL (TEST_DATABASE_URL, as every
// MySQL test) and skips without it.
package replicatest
