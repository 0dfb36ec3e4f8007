// Package dbtest gives store tests fresh, migrated databases on both
// dialects: a temp-file SQLite database (WAL and locking as in production)
// and, when ODN_TEST_PG names a PostgreSQL server, a database of its own
// per test, dropped afterwards. It also hands out pre-generated RSA keys so
// tests do not pay for key generation per actor.
//
// Environment:
//
//	ODN_TEST_PG      postgres://USER@HOST:PORT/DB?sslmode=disable, a role
//	                 allowed to CREATE DATABASE (make test starts one)
//	ODN_TEST_STRICT  1: a missing ODN_TEST_PG fails the test instead of
//	                 skipping it (CI)
//
// Only tests import dbtest; it imports models and must not be imported by
// models itself (models' own tests live in package models_test to use it).
package dbtest
