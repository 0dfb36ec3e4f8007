package models

import (
	"context"
	"database/sql/driver"
)

// Statement cache. Parsing SQL is a large part of a small query's cost
// in SQLite (sqlite3_prepare: 28 % of the CPU of the vote_api figure),
// and bun writes every argument into the SQL text, so no two of its
// queries look alike. The few hot queries written with placeholders
// (arguments passed to database/sql, not formatted by bun) are kept
// prepared on each connection instead: a statement with arguments is
// prepared once per connection and reused, bounded to stmtCacheSize
// distinct queries per connection (past that, prepared per use as
// before). A statement still in use (its rows open while the same query
// runs again on the connection) is not shared: the nested use prepares
// its own.

// stmtCacheSize bounds the statements a connection keeps prepared.
const stmtCacheSize = 64

// cachedStmt is a statement kept prepared on one connection.
type cachedStmt struct {
	driver.Stmt
	busy bool // in use: its rows are open
}

// prepared returns a statement of query on c for one use, and what to
// call when that use ends (its rows closed).
func (c *serialConn) prepared(ctx context.Context, query string) (driver.Stmt, func(), error) {
	if cs := c.stmts[query]; cs != nil && !cs.busy {
		cs.busy = true
		return cs.Stmt, func() { cs.busy = false }, nil
	}
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= stmtCacheSize {
		return st, func() { st.Close() }, nil //nolint:errcheck // one use
	}
	if c.stmts == nil {
		c.stmts = map[string]*cachedStmt{}
	}
	cs := &cachedStmt{Stmt: st, busy: true}
	c.stmts[query] = cs
	return st, func() { cs.busy = false }, nil
}

// closeStmts finalizes the cached statements (before the connection
// closes).
func (c *serialConn) closeStmts() {
	for q, cs := range c.stmts {
		cs.Close() //nolint:errcheck // closing
		delete(c.stmts, q)
	}
}

// execCached runs a statement with arguments through the cache.
func (c *serialConn) execCached(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

// queryCached runs a query with arguments through the cache; done is
// called once its rows are closed.
func (c *serialConn) queryCached(ctx context.Context, query string, args []driver.NamedValue, done func()) (driver.Rows, error) {
	st, release, err := c.prepared(ctx, query)
	if err != nil {
		done()
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		done()
		return nil, err
	}
	return wrapRows(rows, func() { release(); done() }), nil
}
