package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Moving an instance from SQLite to PostgreSQL (`odn migrate-store`,
// docs/admin.md). Both stores are migrated by the same binary first, so
// they have the same tables; every row is then copied table by table in
// foreign-key order inside ONE transaction on the target, which either
// receives everything or nothing.

// bookkeepingTables are bun's own; each store keeps its own history.
var bookkeepingTables = []string{"bun_migrations", "bun_migration_locks"}

// ErrTargetNotEmpty refuses to move data into a database that has some.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// TableCount is one copied table and its number of rows.
type TableCount struct {
	Table string
	Rows  int
}

// CopyTo copies every row of s (usually SQLite) into dst (PostgreSQL),
// which must be migrated to the same version and empty. It resets dst's
// sequences past the copied ids and checks the row counts before
// committing. Stop the server first: rows written during the copy would
// be missed. On SQLite the source is read in one transaction, which holds
// off writers until the copy ends, so the copy is a consistent snapshot.
func (s *Store) CopyTo(ctx context.Context, dst *Store) ([]TableCount, error) {
	if dst.Dialect != Postgres {
		return nil, fmt.Errorf("move store: the target must be PostgreSQL")
	}
	if err := sameMigrations(ctx, s, dst); err != nil {
		return nil, err
	}
	srcCols, err := schemaOf(ctx, s.DB, s.Dialect)
	if err != nil {
		return nil, err
	}
	dstCols, err := schemaOf(ctx, dst.DB, dst.Dialect)
	if err != nil {
		return nil, err
	}
	order, err := copyOrder(ctx, dst.DB, dstCols)
	if err != nil {
		return nil, err
	}
	for _, t := range order {
		if _, ok := srcCols[t]; !ok {
			return nil, fmt.Errorf("move store: table %s is missing from the source", t)
		}
		var one int
		err := dst.DB.NewSelect().TableExpr("?", bun.Ident(t)).ColumnExpr("1").Limit(1).Scan(ctx, &one)
		if err == nil {
			return nil, fmt.Errorf("%w: table %s has rows", ErrTargetNotEmpty, t)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("move store: check %s: %w", t, err)
		}
	}
	src, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.Dialect == Postgres})
	if err != nil {
		return nil, fmt.Errorf("move store: read source: %w", err)
	}
	defer src.Rollback() //nolint:errcheck // read only
	var out []TableCount
	err = dst.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, t := range order {
			n, err := copyTable(ctx, src.Tx, tx.Tx, t, dstCols[t])
			if err != nil {
				return err
			}
			out = append(out, TableCount{Table: t, Rows: n})
		}
		if err := resetSequences(ctx, tx, order, dstCols); err != nil {
			return err
		}
		return verifyCounts(ctx, src.Tx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// column is one column of a table with its SQL type (lower case).
type column struct {
	Name, Type string
	Serial     bool // PostgreSQL: filled by a sequence (serial or identity)
}

// schemaOf lists the tables of a store (bun's bookkeeping excluded) and
// their columns, PostgreSQL's generated ones (the search index's
// search_tsv) excluded: they are computed, never written. SQLite's FTS5
// tables are listed but never copied (PostgreSQL has none).
func schemaOf(ctx context.Context, db bun.IDB, d Dialect) (map[string][]column, error) {
	out := map[string][]column{}
	if d == Postgres {
		var rows []struct {
			Table    string `bun:"table_name"`
			Column   string `bun:"column_name"`
			Type     string `bun:"data_type"`
			Default  string `bun:"column_default"`
			Identity string `bun:"is_identity"`
		}
		err := db.NewRaw(`SELECT table_name, column_name, data_type, COALESCE(column_default, '') AS column_default, is_identity
			FROM information_schema.columns WHERE table_schema = current_schema() AND is_generated = 'NEVER'
			ORDER BY table_name, ordinal_position`).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		for _, r := range rows {
			out[r.Table] = append(out[r.Table], column{Name: r.Column, Type: strings.ToLower(r.Type),
				Serial: r.Identity == "YES" || strings.HasPrefix(r.Default, "nextval(")})
		}
	} else {
		var tables []string
		err := db.NewRaw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).Scan(ctx, &tables)
		if err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		for _, t := range tables {
			var cols []struct {
				Name string `bun:"name"`
				Type string `bun:"type"`
			}
			if err := db.NewRaw(`SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, t).Scan(ctx, &cols); err != nil {
				return nil, fmt.Errorf("read schema of %s: %w", t, err)
			}
			for _, c := range cols {
				out[t] = append(out[t], column{Name: c.Name, Type: strings.ToLower(c.Type)})
			}
		}
	}
	for _, t := range bookkeepingTables {
		delete(out, t)
	}
	return out, nil
}

// copyOrder sorts the PostgreSQL tables so that every table comes after
// the tables its foreign keys reference (self-references are satisfied by
// copying rows in primary-key order).
func copyOrder(ctx context.Context, db bun.IDB, tables map[string][]column) ([]string, error) {
	var fks []struct {
		Child  string `bun:"child"`
		Parent string `bun:"parent"`
	}
	err := db.NewRaw(`SELECT DISTINCT c.relname AS child, p.relname AS parent FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`).Scan(ctx, &fks)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	deps := map[string][]string{}
	for _, fk := range fks {
		if fk.Child != fk.Parent {
			deps[fk.Child] = append(deps[fk.Child], fk.Parent)
		}
	}
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	slices.Sort(names)
	var order []string
	done := map[string]bool{}
	for len(order) < len(names) {
		progress := false
		for _, t := range names {
			if done[t] {
				continue
			}
			ready := true
			for _, p := range deps[t] {
				if _, known := tables[p]; known && !done[p] {
					ready = false
				}
			}
			if ready {
				done[t], progress = true, true
				order = append(order, t)
			}
		}
		if !progress {
			return nil, fmt.Errorf("move store: foreign keys form a cycle among the remaining tables")
		}
	}
	return order, nil
}

// copyBatch rows go in one multi-row INSERT.
const copyBatch = 200

// copyTable streams one table from src to dst in primary-key order,
// converting SQLite's storage classes to the target's column types.
func copyTable(ctx context.Context, src, dst *sql.Tx, table string, cols []column) (int, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.Name)
	}
	order := "1"
	if slices.ContainsFunc(cols, func(c column) bool { return c.Name == "id" }) {
		order = `"id"`
	}
	rows, err := src.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+quoteIdent(table)+" ORDER BY "+order)
	if err != nil {
		return 0, fmt.Errorf("move store: read %s: %w", table, err)
	}
	defer rows.Close()
	var (
		n     int
		batch []any
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := "INSERT INTO " + quoteIdent(table) + " (" + strings.Join(names, ", ") + ") VALUES " + valuesPG(len(batch)/len(cols), len(cols))
		if _, err := dst.ExecContext(ctx, q, batch...); err != nil {
			return fmt.Errorf("move store: write %s: %w", table, err)
		}
		batch = batch[:0]
		return nil
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("move store: read %s: %w", table, err)
		}
		for i, c := range cols {
			v, err := convertValue(vals[i], c.Type)
			if err != nil {
				return n, fmt.Errorf("move store: %s.%s: %w", table, c.Name, err)
			}
			batch = append(batch, v)
		}
		n++
		if n%copyBatch == 0 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("move store: read %s: %w", table, err)
	}
	return n, flush()
}

// sqliteTimeLayouts are the ways a time can be stored as SQLite text (bun
// writes the first).
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02"}

// convertValue turns a value read from the source into one the target
// column of type typ accepts.
func convertValue(v any, typ string) (any, error) {
	if b, ok := v.([]byte); ok && typ != "bytea" {
		v = string(b)
	}
	if v == nil {
		return nil, nil
	}
	switch {
	case typ == "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case string:
			return strconv.ParseBool(x)
		}
	case strings.HasPrefix(typ, "timestamp") || typ == "date":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			for _, l := range sqliteTimeLayouts {
				if t, err := time.Parse(l, x); err == nil {
					return t, nil
				}
			}
			return nil, fmt.Errorf("unreadable time %q", x)
		}
	case typ == "bigint" || typ == "integer" || typ == "smallint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		case float64:
			return int64(x), nil
		}
	}
	return v, nil
}

// resetSequences moves every sequence past the largest copied id, so the
// next insert does not collide with a copied row.
func resetSequences(ctx context.Context, tx bun.Tx, tables []string, cols map[string][]column) error {
	for _, t := range tables {
		for _, c := range cols[t] {
			if !c.Serial {
				continue
			}
			_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(?) FROM ?), 0) + 1, false)`,
				t, c.Name, bun.Ident(c.Name), bun.Ident(t))
			if err != nil {
				return fmt.Errorf("move store: reset sequence of %s.%s: %w", t, c.Name, err)
			}
		}
	}
	return nil
}

// verifyCounts compares the row count of each table on both sides.
func verifyCounts(ctx context.Context, src *sql.Tx, dst bun.Tx, copied []TableCount) error {
	for _, tc := range copied {
		var a, b int
		if err := src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(tc.Table)).Scan(&a); err != nil {
			return fmt.Errorf("move store: count %s: %w", tc.Table, err)
		}
		if err := dst.Tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(tc.Table)).Scan(&b); err != nil {
			return fmt.Errorf("move store: count %s: %w", tc.Table, err)
		}
		if a != b || a != tc.Rows {
			return fmt.Errorf("move store: table %s has %d rows in the source, %d copied", tc.Table, a, b)
		}
	}
	return nil
}

// sameMigrations checks that both stores applied the same migrations.
func sameMigrations(ctx context.Context, a, b *Store) error {
	names := func(s *Store) ([]string, error) {
		var out []string
		err := s.DB.NewRaw("SELECT name FROM bun_migrations ORDER BY name").Scan(ctx, &out)
		return out, err
	}
	na, err := names(a)
	if err != nil {
		return fmt.Errorf("move store: source migrations: %w", err)
	}
	nb, err := names(b)
	if err != nil {
		return fmt.Errorf("move store: target migrations: %w", err)
	}
	if !slices.Equal(na, nb) {
		return fmt.Errorf("move store: source and target are at different migrations (%d and %d applied); run both with this binary first", len(na), len(nb))
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
