package models

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Hot-path queries written with placeholders: their arguments go to the
// driver instead of into the SQL text, so on SQLite each is parsed once
// per connection and kept prepared (sqlite_stmtcache.go); bun formats
// arguments into the text, which makes every query new to SQLite. Column
// lists come from the models' bun tables, so they follow the structs.
type hotQueries struct {
	once sync.Once
	// tokenAccount selects the live account of a token hash with its
	// actor (a tokenRow), in one round trip.
	tokenAccount string
	// debate is a live debate by id, debateLocked the same locked for
	// the transaction (FOR NO KEY UPDATE on PostgreSQL; SQLite's write
	// transaction already excludes other writers).
	debate, debateLocked string
	// space is a space by id, actor an actor by id, actorByURI by its
	// ActivityPub id (every inbox POST's key and every item applied),
	// debateByURI a live debate by id (every remote vote).
	space, actor, actorByURI, debateByURI string
	// participation is the first participation record whose uri or
	// activity_uri is the argument (every remote vote checks it).
	participation string
	// insertVote, insertBallot and insertEvent insert one row of
	// debate_votes, debate_ballots and events, with the columns bun
	// inserts for those models (none returned).
	insertVote, insertBallot, insertEvent string
	// insertParticipation records a participation unless its uri is
	// known (every remote vote, in the ballot's transaction).
	insertParticipation string
	// storeTally writes a debate's cached counts (every ballot change).
	storeTally string
	// insertInboxItem stores a received activity unless its id is known
	// (every inbox POST: its 2 KB body as an argument, not as SQL text).
	insertInboxItem string
	// tombstoned finds a tombstone by uri (every Create or Update
	// received checks its object).
	tombstoned string
	// countUpdate is a count-update row by key; touchCountUpdate moves
	// its requested_at while its due_at is unchanged.
	countUpdate, touchCountUpdate string
	// PostgreSQL only, for a ballot change (vote.go): debateBallot reads
	// the debate, its space and the voter's ballot in one round trip (a
	// debateBallotRow); castBallot writes a new ballot (votes, ballot row
	// and vote.cast event) and locks the debate's row for the tally, in
	// one round trip too.
	debateBallot, castBallot string
}

// hot returns the store's hot queries, built on first use.
func (s *Store) hot() *hotQueries {
	h := &s.hotSQL
	h.once.Do(func() {
		h.tokenAccount = fmt.Sprintf("SELECT %s, %s FROM api_tokens AS t JOIN accounts AS a ON a.id = t.account_id "+
			"JOIN actors AS ac ON ac.account_id = a.id WHERE t.token_hash = %s AND a.deleted_at IS NULL",
			s.columns(reflect.TypeFor[Account](), "a."), s.embedColumns(reflect.TypeFor[Actor](), "ac", "actor_"), s.placeholder(1))
		h.debate = fmt.Sprintf("SELECT %s FROM debates AS d WHERE d.id = %s AND d.deleted_at IS NULL", s.columns(reflect.TypeFor[Debate](), "d."), s.placeholder(1))
		h.debateLocked = h.debate
		if s.Dialect == Postgres {
			// NO KEY: the lock an UPDATE of the tally takes. FOR UPDATE
			// would also wait for the key-share locks that inserting a
			// ballot row (foreign key to the debate) takes, and two ballot
			// changes that each inserted before locking dead-locked.
			h.debateLocked += " FOR NO KEY UPDATE"
		}
		h.space = fmt.Sprintf("SELECT %s FROM spaces WHERE id = %s", s.columns(reflect.TypeFor[Space](), ""), s.placeholder(1))
		h.actor = fmt.Sprintf("SELECT %s FROM actors WHERE id = %s", s.columns(reflect.TypeFor[Actor](), ""), s.placeholder(1))
		h.actorByURI = fmt.Sprintf("SELECT %s FROM actors WHERE uri = %s", s.columns(reflect.TypeFor[Actor](), ""), s.placeholder(1))
		h.debateByURI = fmt.Sprintf("SELECT %s FROM debates AS d WHERE d.uri = %s AND d.deleted_at IS NULL", s.columns(reflect.TypeFor[Debate](), "d."), s.placeholder(1))
		h.participation = fmt.Sprintf("SELECT %s FROM participations AS pa WHERE pa.uri = %s OR pa.activity_uri = %s ORDER BY pa.id LIMIT 1",
			s.columns(reflect.TypeFor[Participation](), "pa."), s.placeholder(1), s.placeholder(2))
		h.insertVote = s.insertSQL("debate_votes", "debate_id", "actor_id", "option_index", "receipt", "created_at")
		h.insertBallot = s.insertSQL("debate_ballots", "debate_id", "actor_id", "receipt", "host", "created_at", "updated_at")
		h.insertEvent = s.insertSQL("events", "kind", "object_type", "object_id", "actor_id", "space_id", "data", "created_at")
		h.insertInboxItem = s.insertSQL("inbox_items", inboxItemColumns...) + " ON CONFLICT (activity_id) DO NOTHING"
		h.insertParticipation = s.insertSQL("participations", "uri", "activity_uri", "kind", "object_type", "object_id", "actor_id",
			"option", "outgoing", "created_at") + " ON CONFLICT (uri) DO NOTHING"
		h.storeTally = fmt.Sprintf("UPDATE debates SET counts = %s, voters = %s, results_updated_at = %s WHERE id = %s",
			s.placeholder(1), s.placeholder(2), s.placeholder(3), s.placeholder(4))
		h.tombstoned = "SELECT 1 FROM tombstones WHERE uri = " + s.placeholder(1)
		if s.Dialect == Postgres {
			debateCols := s.columns(reflect.TypeFor[Debate](), "d.")
			h.debateBallot = "SELECT " + debateCols + ", " + s.embedColumns(reflect.TypeFor[Space](), "sp", "sp_") +
				", (SELECT string_agg(v.option_index::text, ',' ORDER BY v.option_index) FROM debate_votes AS v" +
				" WHERE v.debate_id = d.id AND v.actor_id = $2) AS ballot," +
				" EXISTS (SELECT 1 FROM actors AS a WHERE a.id = $2 AND a.deleted_at IS NOT NULL) AS voter_erased" +
				" FROM debates AS d LEFT JOIN spaces AS sp ON sp.id = d.space_id WHERE d.id = $1 AND d.deleted_at IS NULL"
			// $1 debate, $2 voter, $3 receipt, $4 time, $5 option indexes,
			// $6 host, $7 event kind, $8 space, $9 event data.
			h.castBallot = "WITH v AS (INSERT INTO debate_votes (debate_id, actor_id, option_index, receipt, created_at)" +
				" SELECT $1, $2, i, $3, $4 FROM unnest($5::int[]) AS i)," +
				" b AS (INSERT INTO debate_ballots (debate_id, actor_id, receipt, host, created_at, updated_at) VALUES ($1, $2, $3, $6, $4, $4))," +
				" e AS (INSERT INTO events (kind, object_type, object_id, actor_id, space_id, data, created_at)" +
				" VALUES ($7, '" + ObjectTypeDebate + "', $1, $2, $8, $9, $4))" +
				" SELECT " + debateCols + " FROM debates AS d WHERE d.id = $1 AND d.deleted_at IS NULL FOR NO KEY UPDATE"
		}
		h.countUpdate = fmt.Sprintf("SELECT %s FROM civic_count_updates WHERE object_type = %s AND object_id = %s",
			s.columns(reflect.TypeFor[CountUpdate](), ""), s.placeholder(1), s.placeholder(2))
		h.touchCountUpdate = fmt.Sprintf("UPDATE civic_count_updates SET requested_at = %s WHERE object_type = %s AND object_id = %s AND due_at = %s",
			s.placeholder(1), s.placeholder(2), s.placeholder(3), s.placeholder(4))
	})
	return h
}

// columns lists the columns of a model's table, each prefixed.
func (s *Store) columns(typ reflect.Type, prefix string) string {
	var cols []string
	for _, f := range s.DB.Table(typ).Fields {
		cols = append(cols, prefix+string(f.SQLName))
	}
	return strings.Join(cols, ", ")
}

// embedColumns lists the columns of a model's table read from alias,
// each named prefix+column: the row of a struct field tagged
// bun:"embed:prefix" in a joined query.
func (s *Store) embedColumns(typ reflect.Type, alias, prefix string) string {
	var cols []string
	for _, f := range s.DB.Table(typ).Fields {
		cols = append(cols, alias+"."+string(f.SQLName)+" AS "+prefix+f.Name)
	}
	return strings.Join(cols, ", ")
}

// insertSQL is an INSERT of one row into table with placeholders.
func (s *Store) insertSQL(table string, cols ...string) string {
	ph := make([]string, len(cols))
	for i := range cols {
		ph[i] = s.placeholder(i + 1)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(ph, ", "))
}

// valuesPG is the VALUES list of rows tuples of cols PostgreSQL
// placeholders each: "($1, $2), ($3, $4)" for 2 and 2.
func valuesPG(rows, cols int) string {
	var b strings.Builder
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(r*cols+c+1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// timeArg is t as a query argument stored exactly as bun stores it: on
// SQLite the text bun writes (its format, UTC, microseconds), which
// queries compare as text; PostgreSQL takes the time.
func (s *Store) timeArg(t time.Time) any {
	if s.Dialect == Postgres {
		return t
	}
	return t.UTC().Format(sqliteTimeFormat)
}

// sqliteTimeFormat is how bun writes a time.Time into SQLite
// (schema.BaseDialect.AppendTime).
const sqliteTimeFormat = "2006-01-02 15:04:05.999999-07:00"

// rawExec runs a statement with placeholders on db past bun's
// formatting (see rawQuery).
func rawExec(ctx context.Context, db bun.IDB, query string, args ...any) error {
	_, err := rawExecResult(ctx, db, query, args...)
	return err
}

// rawExecResult is rawExec with the statement's result.
func rawExecResult(ctx context.Context, db bun.IDB, query string, args ...any) (sql.Result, error) {
	r, err := sqlOf(db)
	if err != nil {
		return nil, err
	}
	return r.ExecContext(ctx, query, args...)
}

// sqlRunner is what *sql.DB, *sql.Tx and *sql.Conn share.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// sqlOf is the database/sql value under a bun store, transaction or
// connection: its queries take arguments as they are.
func sqlOf(db bun.IDB) (sqlRunner, error) {
	switch d := db.(type) {
	case *bun.DB:
		return d.DB, nil
	case bun.Tx:
		return d.Tx, nil
	case bun.Conn:
		return d.Conn, nil
	}
	return nil, fmt.Errorf("raw SQL on %T", db)
}

// placeholder is the n-th (from 1) query parameter of the dialect.
func (s *Store) placeholder(n int) string {
	if s.Dialect == Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// scanOne runs a query with placeholders and scans its first row into
// the bun model dest; no row is sql.ErrNoRows.
func (s *Store) scanOne(ctx context.Context, dest any, query string, args ...any) error {
	return s.scanOneIn(ctx, s.DB, dest, query, args...)
}

// rawQuery runs a query with placeholders on db (the store, a
// transaction or a connection) past bun's formatting, so that its
// arguments reach the driver.
func rawQuery(ctx context.Context, db bun.IDB, query string, args ...any) (*sql.Rows, error) {
	r, err := sqlOf(db)
	if err != nil {
		return nil, err
	}
	return r.QueryContext(ctx, query, args...)
}

// scanOneIn is scanOne on db.
func (s *Store) scanOneIn(ctx context.Context, db bun.IDB, dest any, query string, args ...any) error {
	rows, err := rawQuery(ctx, db, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := s.DB.ScanRow(ctx, rows, dest); err != nil {
		return err
	}
	return rows.Close()
}
