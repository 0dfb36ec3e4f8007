package models

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable means the store cannot take writes or answer right now:
// a full disk, a read-only database, a database server restarting. It is
// not the request's fault and retrying later may succeed, so the doors
// answer 503 (web) or a retryable status (federation).
var ErrUnavailable = errors.New("storage temporarily unavailable")

// IsUnavailable reports whether err comes from the store being unable to
// serve (as opposed to a bug or bad input), whatever wraps it.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// A connection cut mid-answer (server restart) surfaces as an
	// unexpected EOF from the wire protocol.
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOLFS:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),  // insufficient resources: disk full, out of memory, too many connections
			strings.HasPrefix(pe.Code, "57P"), // operator intervention: shutdown, crash, cannot connect now
			pe.Code == "25006":                // read-only transaction (a hot standby)
			return true
		}
		return false
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
