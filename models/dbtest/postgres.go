package dbtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opendemocracynow/odn/models"
)

const (
	noPGMessage = "dbtest: ODN_TEST_PG is unset: PostgreSQL store tests are SKIPPED " +
		"(run `make test`, which starts a throwaway server, or set ODN_TEST_PG=postgres://…)"
	strictPGMessage = "dbtest: ODN_TEST_PG is unset and ODN_TEST_STRICT forbids skipping the PostgreSQL store tests " +
		"(run `make test`, which starts a throwaway server, or set ODN_TEST_PG=postgres://…)"
)

// templatePrefix names the migrated template databases, one per test
// process: odn_tpl_PID_RANDOM.
const templatePrefix = "odn_tpl_"

// PostgresDSN creates an empty database of its own on the ODN_TEST_PG
// server and returns its DSN; the database is dropped (WITH (FORCE),
// closing leftover connections) when t ends. Without ODN_TEST_PG it skips
// t, or fails it under ODN_TEST_STRICT=1.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return newPostgresDB(t, adminDSN(t), "")
}

// postgresMigratedDSN is PostgresDSN for a migrated database: a copy of
// a template migrated once per test process, which is several times
// faster than migrating each database.
func postgresMigratedDSN(t testing.TB) string {
	t.Helper()
	admin := adminDSN(t)
	tpl, err := migratedTemplate(admin)
	if err != nil {
		t.Fatalf("dbtest: migrated PostgreSQL template: %v", err)
	}
	return newPostgresDB(t, admin, tpl)
}

// adminDSN returns ODN_TEST_PG, or skips or fails t without it.
func adminDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("ODN_TEST_PG")
	if admin == "" {
		if Strict() {
			t.Fatal(strictPGMessage)
		}
		t.Skip(noPGMessage)
	}
	return admin
}

// newPostgresDB creates database odn_t_RANDOM, a copy of template when
// not empty, dropped when t ends; it returns its DSN.
func newPostgresDB(t testing.TB, admin, template string) string {
	t.Helper()
	name := "odn_t_" + randomName(t)
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("dbtest: ODN_TEST_PG: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := createDatabase(ctx, admin, name, template); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context() is already done here: use a context of our own.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return dsn
}

// The template is made once per process; later calls share its result.
var template struct {
	once sync.Once
	name string
	err  error
}

func migratedTemplate(admin string) (string, error) {
	template.once.Do(func() {
		template.name, template.err = makeTemplate(admin)
	})
	return template.name, template.err
}

// makeTemplate creates and migrates a template database for this process.
// No test hook runs at process exit, so the template outlives the process:
// each new one first drops the templates of processes that have ended
// (when the server is on this machine; a throwaway server from make test
// is deleted whole anyway).
func makeTemplate(admin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dropStaleTemplates(ctx, admin)

	r, err := randomHex()
	if err != nil {
		return "", err
	}
	name := templatePrefix + strconv.Itoa(os.Getpid()) + "_" + r
	dsn, err := withDatabase(admin, name)
	if err != nil {
		return "", err
	}
	if err := createDatabase(ctx, admin, name, ""); err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		dropDatabase(context.Background(), admin, name) //nolint:errcheck // best effort
		return "", err
	}
	// Migrations are frozen code that does not depend on store options, so
	// the key generator here is only there to avoid generating keys.
	s, err := models.Open(ctx, dsn, models.WithKeyGenerator(KeyGen()))
	if err != nil {
		return fail(err)
	}
	err = s.Migrate(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(fmt.Errorf("migrate: %w", err))
	}
	// A copy needs the template free of connections: forbid them.
	if err := pgExec(ctx, admin, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return fail(err)
	}
	return name, nil
}

// dropStaleTemplates drops the templates left by test processes of this
// machine that have ended. Errors are ignored: this is housekeeping.
func dropStaleTemplates(ctx context.Context, admin string) {
	u, err := url.Parse(admin)
	if err != nil || !isLocalHost(u.Hostname()) {
		return // pids of another machine mean nothing here
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, templatePrefix)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(n, templatePrefix), "_")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)") //nolint:errcheck // best effort
	}
}

func isLocalHost(h string) bool {
	if h == "localhost" || h == "" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// processAlive reports whether a process with this pid exists here.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)
}

// createDatabase creates database name, as a copy of template when not
// empty. On PostgreSQL 15 and later it asks for the FILE_COPY strategy:
// for small databases it is about twice as fast as the default WAL_LOG.
func createDatabase(ctx context.Context, admin, name, template string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to ODN_TEST_PG: %w", err)
	}
	defer conn.Close(context.Background())
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if serverMajor(conn) >= 15 {
		q += " STRATEGY FILE_COPY"
	}
	_, err = conn.Exec(ctx, q)
	return err
}

// serverMajor returns the major version of the server, 0 if unknown.
func serverMajor(conn *pgx.Conn) int {
	v := conn.PgConn().ParameterStatus("server_version") // "15.18 (Debian …)"
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		v = v[:end]
	}
	n, _ := strconv.Atoi(v)
	return n
}

// dropDatabase drops database name, closing the connections left to it.
func dropDatabase(ctx context.Context, admin, name string) error {
	return pgExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// withDatabase returns the URL DSN admin pointed at database name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// Never echo the value: it may hold a password.
		return "", fmt.Errorf("want a URL such as postgres://odn@127.0.0.1:5432/odn?sslmode=disable")
	}
	u.Scheme = "postgres" // what models.Open recognises first
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// pgExec runs one statement on a short-lived connection to dsn.
func pgExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to ODN_TEST_PG: %w", err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
