package models

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGDPRKeysCoverSchema: every column that names a person (an account,
// an actor, an author…) is classified for the download: an owner key
// (gdprKeys, gdprExtraKeys), a gdprLink, or listed here as not tying the
// row to anyone. A migration adding, say, approved_by fails this test
// until someone decides whether the approver's download holds the row.
func TestGDPRKeysCoverSchema(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := migratedSQLite(ctx, t)
	schema, err := schemaOf(ctx, s.DB, s.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	// Columns that look personal but are not a person of this instance.
	notPersonal := map[string]string{
		"civic_count_updates.claimed_by": "the worker node holding the job",
		"actors.followers_uri":           "the actor's own followers collection",
		"petitions.closed_by":            "a role (author or moderator), not a person; the audit log names who",
	}
	// A person is named by who did something (…_by) or by a reference
	// (…_id, …_uri) to an actor, account or one of their roles.
	personal := func(col string) bool {
		if strings.HasSuffix(col, "_by") {
			return true
		}
		if !strings.HasSuffix(col, "_id") && !strings.HasSuffix(col, "_uri") {
			return false
		}
		for _, w := range []string{"actor", "account", "author", "user", "reporter", "follower", "followee", "addressee", "signer"} {
			if strings.Contains(col, w) {
				return true
			}
		}
		return false
	}
	for table, cols := range schema {
		if slices.Contains(gdprSkip, table) {
			continue
		}
		for _, c := range cols {
			name := table + "." + c.Name
			if !personal(c.Name) || notPersonal[name] != "" {
				continue
			}
			if _, ok := gdprExtraKeys[table][c.Name]; ok {
				continue
			}
			if _, ok := gdprKeys[c.Name]; ok {
				continue
			}
			// The column itself, not one whose name contains it
			// (solved_by in resolved_by).
			named := regexp.MustCompile(`\b` + regexp.QuoteMeta(c.Name) + `\b`)
			linked := slices.ContainsFunc(gdprLinks, func(l gdprLink) bool {
				return l.table == table && named.MatchString(l.where)
			})
			if !linked {
				t.Errorf("%s names a person but the account download does not know whose row it is (gdpr.go)", name)
			}
		}
	}
}
