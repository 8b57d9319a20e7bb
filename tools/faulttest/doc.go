// Package faulttest holds the fault-injection tests of the back office (`make test-faults`).
// They build the real customers-api and orders-api binaries, run them as subprocesses on free
// ports over a fresh MySQL database each, and break what production breaks: a slow or dead
// customers-api, a database that drops every connection and refuses new ones for a while, a
// SIGKILL in the middle of confirmations, a SIGTERM under load. Each test then checks the
// answers the clients got and the rows in the database: nothing half written, stock that
// balances, idempotency keys that complete exactly once.
//
// The tests need FAULTS=1 (the make target sets it) and a MySQL or MariaDB server at
// TEST_DATABASE_URL (default mysql://root@127.0.0.1:3306/); without FAULTS they skip. The TCP
// proxy the tests put between the services and what they depend on has a quick test of its
// own that always runs.
package faulttest
