package models_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// queryPlans runs fn and returns SQLite's query plan of each statement
// it sent whose text contains match: a test states which index a store
// function's own SQL uses, not a copy of it.
func queryPlans(t *testing.T, s *models.Store, match string, fn func()) []string {
	t.Helper()
	h := &queryRecorder{match: match}
	s.DB.AddQueryHook(h)
	fn()
	h.mu.Lock()
	queries := h.queries
	h.mu.Unlock()
	h.match = "\x00" // stop recording (bun has no way to remove a hook)
	var plans []string
	for _, q := range queries {
		rows, err := s.DB.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		rows.Close()
		plans = append(plans, plan.String())
	}
	if len(plans) == 0 {
		t.Fatalf("no statement matching %q was run", match)
	}
	return plans
}

type queryRecorder struct {
	mu      sync.Mutex
	match   string
	queries []string
}

func (r *queryRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *queryRecorder) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if strings.Contains(ev.Query, r.match) {
		r.queries = append(r.queries, ev.Query)
	}
}

// TestConsultationPollsPlan: the Updates of a consultation's polls after a
// date change find its debates and petitions through their consultation
// indexes, not by scanning every debate of the instance.
func TestConsultationPollsPlan(t *testing.T) {
	s := dbtest.Open(t, "sqlite")
	plan := queryPlans(t, s, "'debate' AS type", func() {
		if _, err := s.ConsultationPolls(context.Background(), 7); err != nil {
			t.Fatal(err)
		}
	})[0]
	if !strings.Contains(plan, "USING INDEX debates_consultation") || !strings.Contains(plan, "USING INDEX petitions_consultation") {
		t.Errorf("consultation polls plan:\n%swant the consultation indexes of debates and petitions", plan)
	}
}

// TestClaimRemoteConsultationsPlan: the claim asks whether copies of a
// remote consultation are held through each civic table's partial index
// of copies by consultation, not by scanning every proposal, debate and
// petition of the instance once per consultation.
func TestClaimRemoteConsultationsPlan(t *testing.T) {
	s := dbtest.Open(t, "sqlite")
	plan := queryPlans(t, s, "UPDATE remote_consultations", func() {
		if _, err := s.ClaimRemoteConsultations(context.Background(), 50, time.Minute); err != nil {
			t.Fatal(err)
		}
	})[0]
	for _, table := range []string{"proposals", "debates", "petitions"} {
		if !strings.Contains(plan, "USING INDEX "+table+"_remote_consultation") {
			t.Errorf("claim plan:\n%swant the remote consultation index of %s", plan, table)
		}
	}
}

// TestDueDigestsPlan: the outbox worker's query of the accounts whose
// digest is due, run every minute on every node, reads the partial index
// of the accounts that turned the digest on (accounts_digest_due), in id
// order, not every account: SQLite's plan, and PostgreSQL's once its
// planner is told not to scan tables (its tables here are too small for
// any index to pay).
func TestDueDigestsPlan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		queue := func() {
			if _, err := s.QueueNotificationDigests(ctx, 100, func(models.Digest) models.Mail { return models.Mail{} }); err != nil {
				t.Fatal(err)
			}
		}
		var plan string
		if s.Dialect == models.SQLite {
			plan = queryPlans(t, s, "account.email_digest", queue)[0]
		} else {
			h := &queryRecorder{match: "account.email_digest"}
			s.DB.AddQueryHook(h)
			queue()
			h.mu.Lock()
			q := h.queries[0]
			h.match = "\x00"
			h.mu.Unlock()
			err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
					return err
				}
				var lines []string
				if err := tx.NewRaw("EXPLAIN "+q).Scan(ctx, &lines); err != nil {
					return err
				}
				plan = strings.Join(lines, "\n")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("due digests plan:\n%s", plan)
		if !strings.Contains(plan, "accounts_digest_due") {
			t.Errorf("due digests plan:\n%s\nwant the partial index accounts_digest_due", plan)
		}
	})
}
