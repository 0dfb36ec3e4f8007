package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"sync"
)

// ChangeVersion returns a number that changes whenever anything is
// committed to the database, by this process or any other: a cache of
// something derived from the database (web's rendered anonymous debate
// page) stays exact by keeping the version it read BEFORE reading its
// data and serving the copy only while ChangeVersion still returns it.
//
// On SQLite it is PRAGMA data_version on a connection of its own that
// never writes, which changes on every commit of any other connection
// (https://sqlite.org/pragma.html#pragma_data_version). ok is false on
// PostgreSQL, which has no such cheap global version: do not cache.
func (s *Store) ChangeVersion(ctx context.Context) (v int64, ok bool) {
	dv := dataVersionOf(s.DB.DB)
	if dv == nil {
		return 0, false
	}
	v, err := dv.read(ctx)
	return v, err == nil
}

// dataVersion is the dedicated connection of ChangeVersion, opened on
// first use.
type dataVersion struct {
	mu        sync.Mutex
	connector driver.Connector
	conn      driver.Conn
	closed    bool
}

var (
	dataVersionsMu sync.Mutex
	dataVersions   = map[*sql.DB]*dataVersion{}
)

// registerDataVersion makes ChangeVersion available for db, whose
// connections connector opens.
func registerDataVersion(db *sql.DB, connector driver.Connector) {
	if w, ok := connector.(*writeSerialConnector); ok {
		connector = w.Connector // it never writes: no write lock
	}
	dataVersionsMu.Lock()
	defer dataVersionsMu.Unlock()
	dataVersions[db] = &dataVersion{connector: connector}
}

func dataVersionOf(db *sql.DB) *dataVersion {
	dataVersionsMu.Lock()
	defer dataVersionsMu.Unlock()
	return dataVersions[db]
}

// closeDataVersion closes db's dedicated connection, if any (Store.Close).
func closeDataVersion(db *sql.DB) {
	dataVersionsMu.Lock()
	dv := dataVersions[db]
	delete(dataVersions, db)
	dataVersionsMu.Unlock()
	if dv != nil {
		dv.mu.Lock()
		defer dv.mu.Unlock()
		dv.closed = true
		if dv.conn != nil {
			dv.conn.Close() //nolint:errcheck // closing
			dv.conn = nil
		}
	}
}

func (dv *dataVersion) read(ctx context.Context) (int64, error) {
	dv.mu.Lock()
	defer dv.mu.Unlock()
	if dv.closed {
		return 0, sql.ErrConnDone
	}
	if dv.conn == nil {
		c, err := dv.connector.Connect(ctx)
		if err != nil {
			return 0, err
		}
		dv.conn = c
	}
	rows, err := dv.conn.(driver.QueryerContext).QueryContext(ctx, "PRAGMA data_version", nil)
	if err != nil {
		dv.conn.Close() //nolint:errcheck // replaced on next use
		dv.conn = nil
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			err = sql.ErrNoRows
		}
		return 0, err
	}
	v, ok := dest[0].(int64)
	if !ok {
		return 0, sql.ErrNoRows
	}
	return v, nil
}
