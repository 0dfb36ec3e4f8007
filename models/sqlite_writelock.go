package models

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// SQLite has one writer at a time. When two connections of the pool want
// to write, the loser gets SQLITE_BUSY and SQLite's busy handler makes it
// sleep 1, 2, 5, 10, 15… ms before trying again: under concurrent writes
// most of the time went to those sleeps (vote_api: the CPU 60 % idle, 158
// votes/s). writeSerialConnector queues the writers of this process in Go
// instead: a write transaction (BEGIN IMMEDIATE) or a write statement
// outside a transaction first takes the database's write lock, a channel
// handed over to the next writer the moment the previous one commits.
// Readers never take it (WAL lets them read during a write). Other
// processes (odn CLI commands) still meet SQLite's busy handler, as before.
//
// The lock is per database file, shared by every Store opened on it in
// this process. A writer waits for it at most sqliteBusyWait, then goes on
// without it and SQLite's own busy handling applies, exactly as before:
// no new way to dead-lock (e.g. a write through s.DB inside s.Tx still
// ends in "database is locked", never hangs).
type writeSerialConnector struct {
	driver.Connector
	lock chan struct{}
}

// sqliteBusyWait is how long a writer queues for the write lock before
// falling back to SQLite's busy handler; the busy_timeout pragma.
const sqliteBusyWait = 10 * time.Second

var (
	sqliteLocksMu sync.Mutex
	sqliteLocks   = map[string]chan struct{}{}
)

// newWriteSerialConnector returns the connector of dsn with the write
// lock of the database file key.
func newWriteSerialConnector(dsn, key string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	sqliteLocksMu.Lock()
	defer sqliteLocksMu.Unlock()
	lock := sqliteLocks[key]
	if lock == nil {
		lock = make(chan struct{}, 1)
		sqliteLocks[key] = lock
	}
	return &writeSerialConnector{Connector: base, lock: lock}, nil
}

func (c *writeSerialConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &serialConn{inner: conn, lock: c.lock}, nil
}

// serialConn is one pool connection. database/sql uses a connection from
// one goroutine at a time, so its fields need no lock.
type serialConn struct {
	inner driver.Conn
	lock  chan struct{}
	inTx  bool // a transaction is open
	held  bool // this connection holds the write lock
	// stmts are the statements with arguments kept prepared
	// (sqlite_stmtcache.go).
	stmts map[string]*cachedStmt
}

// acquire takes the write lock unless already held. When it gives up
// (context done or sqliteBusyWait passed) the caller goes on without it
// and SQLite's busy handler decides.
func (c *serialConn) acquire(ctx context.Context) {
	if c.held {
		return
	}
	select {
	case c.lock <- struct{}{}:
		c.held = true
		return
	default:
	}
	t := time.NewTimer(sqliteBusyWait)
	defer t.Stop()
	select {
	case c.lock <- struct{}{}:
		c.held = true
	case <-ctx.Done():
	case <-t.C:
	}
}

func (c *serialConn) release() {
	if c.held {
		c.held = false
		<-c.lock
	}
}

// writes reports whether a statement may write: anything but a plain
// SELECT (or EXPLAIN). Conservative: a WITH … SELECT takes the lock too.
func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 7 {
		return true
	}
	head := q[:7]
	return !strings.EqualFold(head[:6], "SELECT") && !strings.EqualFold(head, "EXPLAIN")
}

func (c *serialConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *serialConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &serialStmt{Stmt: st, c: c, writes: writes(query)}, nil
}

func (c *serialConn) Close() error {
	c.closeStmts()
	err := c.inner.Close()
	c.inTx = false
	c.release()
	return err
}

func (c *serialConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx takes the write lock for a write transaction (BEGIN IMMEDIATE
// takes SQLite's) until it ends; a read-only transaction takes it only if
// it writes.
func (c *serialConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if !opts.ReadOnly {
		c.acquire(ctx)
	}
	tx, err := c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		c.release()
		return nil, err
	}
	c.inTx = true
	return &serialTx{Tx: tx, c: c}, nil
}

// stmtStart takes the lock a statement needs and returns what to do when
// the statement is done.
func (c *serialConn) stmtStart(ctx context.Context, write bool) (done func()) {
	if !write || c.held {
		return func() {}
	}
	c.acquire(ctx)
	if c.inTx {
		return func() {} // kept until the transaction ends
	}
	return c.release
}

func (c *serialConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	done := c.stmtStart(ctx, writes(query))
	defer done()
	if len(args) > 0 {
		return c.execCached(ctx, query, args)
	}
	return c.inner.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *serialConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	done := c.stmtStart(ctx, writes(query))
	if len(args) > 0 {
		return c.queryCached(ctx, query, args, done)
	}
	rows, err := c.inner.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		done()
		return nil, err
	}
	// An UPDATE … RETURNING writes while its rows are read.
	return wrapRows(rows, done), nil
}

func (c *serialConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *serialConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *serialConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type serialTx struct {
	driver.Tx
	c *serialConn
}

func (t *serialTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

func (t *serialTx) end() {
	t.c.inTx = false
	t.c.release()
}

type serialStmt struct {
	driver.Stmt
	c      *serialConn
	writes bool
}

func (s *serialStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	done := s.c.stmtStart(ctx, s.writes)
	defer done()
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *serialStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	done := s.c.stmtStart(ctx, s.writes)
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		done()
		return nil, err
	}
	return wrapRows(rows, done), nil
}

// serialRows releases the statement's lock when closed, and keeps the
// optional interfaces of the driver's rows that bun and database/sql use.
type serialRows struct {
	driver.Rows
	done func()
}

// columnTypes is what modernc's rows implement beyond driver.Rows.
type columnTypes interface {
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeScanType
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypeLength
	driver.RowsColumnTypePrecisionScale
}

type serialRowsTypes struct {
	*serialRows
	t columnTypes
}

func (r *serialRowsTypes) ColumnTypeDatabaseTypeName(i int) string {
	return r.t.ColumnTypeDatabaseTypeName(i)
}
func (r *serialRowsTypes) ColumnTypeScanType(i int) reflect.Type { return r.t.ColumnTypeScanType(i) }
func (r *serialRowsTypes) ColumnTypeNullable(i int) (bool, bool) { return r.t.ColumnTypeNullable(i) }
func (r *serialRowsTypes) ColumnTypeLength(i int) (int64, bool)  { return r.t.ColumnTypeLength(i) }
func (r *serialRowsTypes) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.t.ColumnTypePrecisionScale(i)
}

func wrapRows(rows driver.Rows, done func()) driver.Rows {
	r := &serialRows{Rows: rows, done: done}
	if t, ok := rows.(columnTypes); ok {
		return &serialRowsTypes{serialRows: r, t: t}
	}
	return r
}

func (r *serialRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}
