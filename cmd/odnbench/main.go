// Command odnbench measures the figures of docs/BENCHMARKS.md. Each
// figure is printed as one line
//
//	BENCH <name> <value> <unit> limit=<value> ratio=<value>
//
// where the limit is the unavoidable work measured in the same run on the
// same machine (raw SQLite insert rate, raw RSA sign time…), so that the
// ratio stays comparable on shared machines whose speed drifts. It starts
// whole odn instances in-process (cli.Run) on loopback, plus the stripped
// binary for the process figures. .ci/bench.sh builds and runs it; it is
// never part of `go test`.
//
// Usage:
//
//	odnbench [-short] [-only REGEXP] [-pg DSN] [-bin ./odn] [-baseline FILE] [-check]
//	odnbench -soak 10m [-pg DSN]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// figure is one measured line.
type figure struct {
	Name  string
	Value float64
	Unit  string
	Limit float64 // 0: none
	Ratio float64 // value / limit, or NaN
	// Target: the ratio (or the value, when Limit is 0) must be ≥ Min or ≤
	// Max (0 = no bound). Only ratios are checked in -check mode.
	Min, Max float64
	Note     string
}

func (f figure) String() string {
	lim, ratio := "-", "-"
	if f.Limit > 0 {
		lim, ratio = num(f.Limit), num(f.Ratio)
	}
	s := fmt.Sprintf("BENCH %s %s %s limit=%s ratio=%s", f.Name, num(f.Value), f.Unit, lim, ratio)
	if t := f.target(); t != "" {
		s += " target=" + t
		if !f.ok() {
			s += " FAIL"
		}
	}
	if f.Note != "" {
		s += " # " + f.Note
	}
	return s
}

// measured is what the target is checked against: the ratio when there
// is a limit, else the value.
func (f figure) measured() float64 {
	if f.Limit > 0 {
		return f.Ratio
	}
	return f.Value
}

func (f figure) target() string {
	what := "ratio"
	if f.Limit == 0 {
		what = "value"
	}
	switch {
	case f.Min > 0:
		return what + "≥" + num(f.Min)
	case f.Max > 0:
		return what + "≤" + num(f.Max)
	}
	return ""
}

func (f figure) ok() bool {
	m := f.measured()
	switch {
	case math.IsNaN(m):
		return false
	case f.Min > 0:
		return m >= f.Min
	case f.Max > 0:
		return m <= f.Max
	}
	return true
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// bench is one run's configuration and results.
type bench struct {
	short  bool
	pgDSN  string // admin DSN of a PostgreSQL server, or ""
	bin    string // stripped odn binary, for the process figures
	tmp    string
	floors *floors
	out    []figure
	failed []string // benchmarks that could not run
}

func (b *bench) add(f figure) {
	if f.Limit > 0 {
		f.Ratio = f.Value / f.Limit
	} else {
		f.Ratio = math.NaN()
	}
	b.out = append(b.out, f)
	fmt.Println(f)
}

// scale picks the full or the short size of a workload.
func (b *bench) scale(full, short int) int {
	if b.short {
		return short
	}
	return full
}

func main() {
	short := flag.Bool("short", false, "small workloads (CI, under 2 minutes)")
	only := flag.String("only", "", "run only the benchmarks whose name matches this regexp")
	pg := flag.String("pg", os.Getenv("ODN_BENCH_PG"), "PostgreSQL admin DSN (may create databases); empty skips the PostgreSQL figures")
	bin := flag.String("bin", "", "stripped odn binary for binary_size, cold_start and idle_rss (empty skips them)")
	baseline := flag.String("baseline", "", "file of `name ratio` lines from a full run: with -check, fail on a clear regression")
	check := flag.Bool("check", false, "exit 1 when a ratio regressed clearly (2×) against -baseline")
	soak := flag.Duration("soak", 0, "run the soak test for this long instead of the benchmarks")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the benchmarks (server and clients share the process) to this file")
	blockProfile := flag.String("blockprofile", "", "write block and mutex profiles to this file (+ .mutex)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("odnbench: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tmp, err := os.MkdirTemp("", "odnbench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	b := &bench{short: *short, pgDSN: *pg, bin: *bin, tmp: tmp}
	if *soak > 0 {
		if err := runSoak(ctx, b, *soak); err != nil {
			log.Fatalf("soak: %v", err)
		}
		return
	}
	re, err := regexp.Compile(*only)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("# odnbench %s, GOMAXPROCS=%d, %s/%s, short=%v\n", time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, *short)
	if b.floors, err = measureFloors(ctx, b); err != nil {
		log.Fatalf("floors: %v", err)
	}
	stopProfiles := startProfiles(*cpuProfile, *blockProfile)
	for _, bm := range benchmarks {
		if !re.MatchString(bm.name) || ctx.Err() != nil {
			continue
		}
		start := time.Now()
		if err := bm.run(ctx, b); err != nil {
			b.failed = append(b.failed, bm.name)
			fmt.Printf("BENCH %s ERROR # %v\n", bm.name, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		fmt.Fprintf(os.Stderr, "odnbench: %s took %s\n", bm.name, time.Since(start).Round(time.Millisecond))
	}
	stopProfiles()
	code := 0
	if *check && *baseline != "" {
		code = checkBaseline(b.out, *baseline)
	}
	if len(b.failed) > 0 {
		fmt.Printf("# benchmarks that did not run: %s\n", strings.Join(b.failed, " "))
	}
	os.Exit(code)
}

// benchmarks run in this order; each adds its figures.
var benchmarks = []struct {
	name string
	run  func(ctx context.Context, b *bench) error
}{
	{"inbox_signed_posts", benchInboxPosts},
	{"inbox_apply", benchInboxApply},
	{"vote_api", benchVotes},
	{"remote_votes", benchRemoteVotes},
	{"fanout_10k", benchFanout},
	{"slow_peer", benchSlowPeer},
	{"debate_page", benchDebatePage},
	{"binary_size", benchBinarySize},
	{"cold_start", benchColdStart},
	{"idle_rss", benchIdleRSS},
}

// checkBaseline compares ratios with a baseline of `name ratio` lines and
// reports 1 when one is clearly worse: a factor of 2 on the bad side, far
// beyond the 1.3–1.5× drift of shared machines. Absolute values are never
// checked.
func checkBaseline(out []figure, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Printf("baseline: %v (no check)", err)
		return 0
	}
	base := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(line, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			base[f[0]] = v
		}
	}
	const margin = 2.0
	var bad []string
	for _, f := range out {
		want, ok := base[f.Name]
		if !ok || f.Limit == 0 || math.IsNaN(f.Ratio) {
			continue
		}
		higherIsBetter := f.Min > 0
		if (higherIsBetter && f.Ratio < want/margin) || (!higherIsBetter && f.Ratio > want*margin) {
			bad = append(bad, fmt.Sprintf("%s ratio %s (baseline %s)", f.Name, num(f.Ratio), num(want)))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		fmt.Printf("# REGRESSION (ratio 2× worse than %s): %s\n", path, strings.Join(bad, "; "))
		return 1
	}
	fmt.Printf("# no ratio regression against %s\n", path)
	return 0
}
