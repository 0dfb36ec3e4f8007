package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraCommands["recount"] = runRecount
}

// errDifferences makes recount exit 1 after printing its report.
var errDifferences = errors.New("differences found")

// runRecount recounts a debate from its stored votes and compares with the
// published tally (models.Recount, which also rewrites a wrong cache and
// audits it), or, with --file, recounts every closed debate of a published
// export.json from its receipts, without any database. Exit code 0: the
// published results match; 1: a difference was found (or an error, such
// as a debate copied from another instance, which its origin counts).
func runRecount(ctx context.Context, args []string, env Env) error {
	for i, a := range args {
		if a == "--file" || a == "-file" || len(a) > 7 && (a[:7] == "--file=" || a[:6] == "-file=") {
			return recountFile(args[i:], env)
		}
	}
	return dbCommand(ctx, "recount", args, env, func(fs *flagSet) {
		fs.String("file", "", "recount a published export.json instead of the database")
	}, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		idText, err := oneName(fs, "debate id")
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return usagef("debate id must be a number")
		}
		rep, err := st.Recount(ctx, nil, id)
		if errors.Is(err, models.ErrRemoteTally) {
			d, derr := st.DebateByID(ctx, id)
			if derr != nil {
				return fmt.Errorf("recount debate %d: %w", id, err)
			}
			return fmt.Errorf("debate %d is a copy of %s: its results are counted by %s, not by this instance, "+
				"which stores only its own members' ballots and leaves the tally untouched; "+
				"recount it on %s, or recount its published export there with odn recount --file", id, d.URI, d.Origin, d.Origin)
		}
		if err != nil {
			return fmt.Errorf("recount debate %d: %w", id, err)
		}
		fmt.Fprintf(env.Stdout, "debate %d\npublished: %v, %d voters\ncounted:   %v, %d voters\n", id, rep.Stored, rep.StoredVoters, rep.Counted, rep.CountedVoters)
		if len(rep.Differences) == 0 && !rep.Corrected {
			fmt.Fprintln(env.Stdout, "OK: the published results match the stored votes")
			return nil
		}
		for _, d := range rep.Differences {
			fmt.Fprintln(env.Stdout, "DIFFERENCE: "+d)
		}
		if rep.Corrected {
			fmt.Fprintln(env.Stdout, "the published results were corrected from the stored votes (see the audit log)")
		}
		return errDifferences
	})
}

func recountFile(args []string, env Env) error {
	fs := &flagSet{FlagSet: newFlagSet("recount", env)}
	path := fs.String("file", "", "a published export.json")
	flags, positional := interleave(fs.FlagSet, args)
	fs.positional = positional
	if err := fs.Parse(flags); err != nil {
		return usagef("%v", err)
	}
	if len(fs.Args()) > 0 || *path == "" {
		return usagef("usage: odn recount --file EXPORT.json")
	}
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	defer f.Close()
	var e models.Export
	if err := json.NewDecoder(f).Decode(&e); err != nil {
		return fmt.Errorf("read %s: %w", *path, err)
	}
	checked, diffs := models.RecountExport(&e)
	fmt.Fprintf(env.Stdout, "%d closed debate(s) recounted from their receipts\n", checked)
	if len(diffs) == 0 {
		fmt.Fprintln(env.Stdout, "OK: the published results match the receipts")
		return nil
	}
	for _, d := range diffs {
		fmt.Fprintln(env.Stdout, "DIFFERENCE: "+d)
	}
	return errDifferences
}
