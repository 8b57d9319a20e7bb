// Package deploytest holds the tests of what runs the services rather than of the services
// themselves: docker-compose.yml, the Dockerfile, .env.example, db/schema.sql, db/seed.sql,
// the Makefile and the migrate command. It has no code of its own.
package deploytest
