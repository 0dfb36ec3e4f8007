package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync"
	"time"
)

// SQLite's WAL is copied back into the database file by a checkpoint. By
// default (wal_autocheckpoint=1000) the commit that takes the WAL past
// 1,000 pages runs it, two fsyncs included, before returning: in
// odnbench vote_latency about one lone vote in 40 took 5–12 ms instead
// of 1–2 ms, and every other writer queued behind it. So the connections
// of a file database run with wal_autocheckpoint=0, and a goroutine per
// Store checkpoints in the background, on a connection of its own that
// takes no write lock: PASSIVE never waits for readers or writers, and
// writers go on appending to the WAL meanwhile. It runs when something
// was committed since its last look (PRAGMA data_version), at most every
// walCheckpointEvery, so the WAL stays as small as before under load.
// Durability is unchanged: with synchronous=NORMAL commits never fsync,
// checkpoints always did. Another process (odn CLI commands) checkpoints
// the same way while it runs; SQLite also checkpoints when the last
// connection closes.
const walCheckpointEvery = 200 * time.Millisecond

// checkpointer is the background checkpoint of one database handle.
type checkpointer struct {
	connector driver.Connector
	stop      chan struct{}
	done      chan struct{}
}

var (
	checkpointersMu sync.Mutex
	checkpointers   = map[*sql.DB]*checkpointer{}
)

// startCheckpointer checkpoints db's WAL in the background until
// stopCheckpointer(db); connector opens its connection (without the
// write lock).
func startCheckpointer(db *sql.DB, connector driver.Connector) {
	if w, ok := connector.(*writeSerialConnector); ok {
		connector = w.Connector
	}
	c := &checkpointer{connector: connector, stop: make(chan struct{}), done: make(chan struct{})}
	checkpointersMu.Lock()
	checkpointers[db] = c
	checkpointersMu.Unlock()
	go c.run(walCheckpointEvery)
}

// stopCheckpointer stops db's checkpointer, if any, and waits for it
// (Store.Close, before the pool closes: the last connection's close
// checkpoints what is left).
func stopCheckpointer(db *sql.DB) {
	checkpointersMu.Lock()
	c := checkpointers[db]
	delete(checkpointers, db)
	checkpointersMu.Unlock()
	if c != nil {
		close(c.stop)
		<-c.done
	}
}

func (c *checkpointer) run(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	var conn driver.Conn
	defer func() {
		if conn != nil {
			conn.Close() //nolint:errcheck // closing
		}
	}()
	seen := int64(-1) // data_version at the last checkpoint
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if conn == nil {
			var err error
			if conn, err = c.connector.Connect(context.Background()); err != nil {
				continue // the database may be busy being created; next tick
			}
		}
		v, err := c.checkpoint(conn, seen)
		if err != nil {
			conn.Close() //nolint:errcheck // reopened on the next tick
			conn = nil
			continue
		}
		seen = v
	}
}

// checkpoint runs a PASSIVE checkpoint on conn unless nothing was
// committed since data_version seen; it returns the data_version read.
// A checkpoint that could not copy everything (a reader still needs old
// pages) is simply tried again after the next commit.
func (c *checkpointer) checkpoint(conn driver.Conn, seen int64) (int64, error) {
	v, err := pragmaInt(conn, "PRAGMA data_version")
	if err != nil || v == seen {
		return v, err
	}
	_, err = pragmaInt(conn, "PRAGMA wal_checkpoint(PASSIVE)")
	return v, err
}

// pragmaInt runs a pragma on conn and returns the first column of its
// first row.
func pragmaInt(conn driver.Conn, query string) (int64, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return 0, errors.New("sqlite connection cannot query")
	}
	rows, err := q.QueryContext(context.Background(), query, nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			err = sql.ErrNoRows
		}
		return 0, err
	}
	v, _ := dest[0].(int64)
	return v, nil
}
