package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// fedMetrics are the federation series in web's /metrics set.
type fedMetrics struct {
	set *metrics.Set
}

func newFedMetrics(s *Service, set *metrics.Set) *fedMetrics {
	m := &fedMetrics{set: set}
	// Queue sizes are read from the database at scrape time, so every node
	// reports the shared queue.
	for _, state := range []string{"pending", "done", "dead", "cancelled"} {
		set.GetOrCreateGauge(fmt.Sprintf(`odn_federation_deliveries{state=%q}`, state), func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			counts, err := s.store.DeliveryCounts(ctx)
			if err != nil {
				return -1
			}
			return float64(counts[state])
		})
	}
	set.GetOrCreateGauge("odn_federation_inbox_backlog", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := s.store.InboxBacklog(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	return m
}

// inbox counts an inbox POST by result (accepted, duplicate, or status).
func (m *fedMetrics) inbox(result string) {
	m.set.GetOrCreateCounter(fmt.Sprintf(`odn_federation_inbox_requests_total{result=%q}`, result)).Inc()
}

// delivery counts a delivery attempt by result (ok, retry, dead).
func (m *fedMetrics) delivery(result string) {
	m.set.GetOrCreateCounter(fmt.Sprintf(`odn_federation_delivery_attempts_total{result=%q}`, result)).Inc()
}

// processed counts inbox activities processed, by type and result.
func (m *fedMetrics) processed(typ, result string) {
	if !knownActivity[typ] {
		typ = "other"
	}
	m.set.GetOrCreateCounter(fmt.Sprintf(`odn_federation_activities_total{type=%q,result=%q}`, typ, result)).Inc()
}
