package models

import (
	"fmt"
	"strconv"
)

// RecountExport recounts every closed debate of a published export from
// its receipts and lists each difference with the published counts and
// voters (empty: the published results match their receipts). Anyone can
// run it on a downloaded export.json without access to the database
// (`odn recount --file`, docs/admin.md); debates whose receipt list is
// not published yet are skipped.
func RecountExport(e *Export) (checked int, diffs []string) {
	for _, d := range e.Debates {
		if !d.ResultsPublished || d.Phase != DebateClosed {
			continue
		}
		checked++
		counted := map[string]int{}
		seen := map[string]bool{}
		for _, r := range d.Receipts {
			if seen[r.Receipt] {
				diffs = append(diffs, fmt.Sprintf("debate %d: receipt %s appears twice", d.ID, r.Receipt))
			}
			seen[r.Receipt] = true
			if !d.Multiple && len(r.Options) > 1 {
				diffs = append(diffs, fmt.Sprintf("debate %d: receipt %s chose %d options in a single-choice debate", d.ID, r.Receipt, len(r.Options)))
			}
			for _, o := range r.Options {
				counted[o]++
			}
		}
		known := map[string]bool{}
		for _, o := range d.Options {
			known[o.Name] = true
			if counted[o.Name] != o.Count {
				diffs = append(diffs, fmt.Sprintf("debate %d: option %q: published %d, receipts count %d", d.ID, o.Name, o.Count, counted[o.Name]))
			}
		}
		for name, n := range counted {
			if !known[name] {
				diffs = append(diffs, fmt.Sprintf("debate %d: %d receipt(s) for unknown option %s", d.ID, n, strconv.Quote(name)))
			}
		}
		if len(d.Receipts) != d.Voters {
			diffs = append(diffs, fmt.Sprintf("debate %d: published %d voters, %d receipts", d.ID, d.Voters, len(d.Receipts)))
		}
		total := 0
		for _, n := range d.ByInstance {
			total += n
		}
		if total != d.Voters {
			diffs = append(diffs, fmt.Sprintf("debate %d: published %d voters, per-instance breakdown adds up to %d", d.ID, d.Voters, total))
		}
	}
	return checked, diffs
}
