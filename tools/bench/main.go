// Command bench is what `make bench` and `make profile` run once the services are up (bin/run):
// the load phases, one after another at -clients for -duration each, through bin/loadtest
// (the services over HTTP) and bin/sqlbench (the bare-SQL ceiling on the same database),
// then one summary.
//
//	flow    create+confirm through the services, and the same flows as bare SQL;
//	reads   half GET /products?limit=20, half GET /customers/{id}, and the same as bare SQL.
//
// With a database, each load's -duration is split into -rounds rounds, each the services and
// the ceiling, which take turns to go first (roundOrder): on a shared machine whose speed
// drifts by tens of percent from one minute to the next, both sides then meet the same
// drift, and the ratio compares like with like.
// A side's figures add up its rounds (operations over seconds; statements over operations);
// its percentiles are the median of the rounds' own. The summary also prints each round's
// ratio.
//
// Each tool runs with -wait: once it is set up, bench reads the server's statement counter
// (SHOW GLOBAL STATUS LIKE 'Questions'), lets the load start, and reads the counter again
// when the tool has finished, so that statements per operation count the load alone (for
// the services: both services' statements, customers-api's lookup included; the counter is
// the whole server's, so anything else running on it shows too). Around the load it also
// reads the CPU each process used (cpu.go): the summary prints it per operation, process by
// process. After the load it reads each service's resident memory from its /metrics
// (process_resident_memory_bytes).
//
// Without a database (-database-url, default $DATABASE_URL) the services run in memory and
// the ceiling phases are skipped: the ceiling needs MySQL.
//
// With -profile-dir it runs the service phases only, and meanwhile fetches a CPU profile
// from each -pprof NAME=ADDR (the services' PPROF_ADDR), saved as DIR/NAME-PHASE.pprof.
//
// With -base-customers and -base-orders (make bench-ab) the other side of each round is
// another build's services instead of the ceiling, under the same load: the summary's ratio
// is then this build's over that one's, the before/after of a change measured on the same
// drift of the machine.
//
// A phase with a failed operation or a 5xx makes bench exit 1, after the summary.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver of sql.Open

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/tools/benchstat"
)

type options struct {
	loadtest, sqlbench string
	customers, orders  string // base URLs
	orchestrator       string
	// baseCustomers and baseOrders: another build's services (A/B mode: they take the
	// ceiling's place, see abMode).
	baseCustomers, baseOrders string
	clients                   int
	duration                  time.Duration
	rounds                    int
	databaseURL               string
	profileDir                string
	pprof                     []target
}

// target is a service and an address of its (pprof or HTTP) listener.
type target struct{ name, addr string }

func main() {
	var (
		o     options
		pprof string
	)
	flag.StringVar(&o.loadtest, "loadtest", "bin/loadtest", "the loadtest binary")
	flag.StringVar(&o.sqlbench, "sqlbench", "bin/sqlbench", "the sqlbench binary")
	flag.StringVar(&o.customers, "customers", "http://127.0.0.1:3001", "customers-api base URL")
	flag.StringVar(&o.orders, "orders", "http://127.0.0.1:3002", "orders-api base URL")
	flag.StringVar(&o.baseCustomers, "base-customers", "", "A/B: customers-api base URL of the build to compare with (with -base-orders): it replaces the ceiling")
	flag.StringVar(&o.baseOrders, "base-orders", "", "A/B: orders-api base URL of the build to compare with")
	flag.StringVar(&o.orchestrator, "orchestrator", "http://127.0.0.1:3003", "orchestrator base URL (its /metrics)")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients of every phase")
	flag.DurationVar(&o.duration, "duration", 40*time.Second, "how long each phase runs (all its rounds together)")
	flag.IntVar(&o.rounds, "rounds", 8, "with a database: rounds per load, each the services and the ceiling (taking turns to go first) for -duration/rounds")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "the services' database, mysql://... (default $DATABASE_URL; empty: no ceiling)")
	flag.StringVar(&o.profileDir, "profile-dir", "", "profile instead: run the service phases and save CPU profiles here")
	flag.StringVar(&pprof, "pprof", "orders-api=127.0.0.1:6062,customers-api=127.0.0.1:6061", "with -profile-dir: NAME=HOST:PORT,... of the pprof listeners")
	flag.Parse()
	for _, p := range strings.Split(pprof, ",") {
		name, addr, ok := strings.Cut(p, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: -pprof %q: want NAME=HOST:PORT,...\n", pprof)
			os.Exit(2)
		}
		o.pprof = append(o.pprof, target{name, addr})
	}
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// phase is one load run and what it measured.
type phase struct {
	load    string // flow or reads
	ceiling bool   // sqlbench rather than loadtest
	fields  map[string]string
	stmts   float64 // statements per operation; NaN when not measured
	err     error
	skipped string               // why the phase did not run, when it did not
	rounds  []float64            // each round's operations per second, when the phase ran in rounds
	cpu     map[string]cpuFigure // CPU per process (cpuKeys), those measured
}

// label names the phase's side; other is the name of the side that is not the services.
func (p phase) label(o options) string {
	if p.ceiling {
		return o.other()
	}
	return "services"
}

// abMode: the other side is another build's services, not the ceiling.
func (o options) abMode() bool { return o.baseCustomers != "" && o.baseOrders != "" }

func (o options) other() string {
	if o.abMode() {
		return "base"
	}
	return "ceiling"
}

func run(ctx context.Context, o options, out io.Writer) error {
	var db *sql.DB
	if o.databaseURL != "" && o.profileDir == "" {
		dsn, err := mysql.DSN(mysql.DatabaseURL(o.databaseURL))
		if err != nil {
			return err
		}
		if db, err = sql.Open("mysql", dsn); err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
	}
	dbPID := 0
	if db != nil {
		dbPID = localServerPID(ctx, db, o.databaseURL)
	}
	rounds := 1
	if db != nil || o.abMode() {
		rounds = max(1, o.rounds)
	}
	slice := o
	slice.duration = o.duration / time.Duration(rounds)
	var phases []phase
	for _, load := range []string{"flow", "reads"} {
		byRound := map[bool][]phase{}
		for r := range rounds {
			for _, ceiling := range roundOrder(r) {
				p := phase{load: load, ceiling: ceiling, stmts: math.NaN()}
				switch {
				case ceiling && o.profileDir != "":
					continue
				case ceiling && o.abMode():
					base := slice
					base.customers, base.orders = o.baseCustomers, o.baseOrders
					p.fields, p.stmts, p.cpu, p.err = runPhase(ctx, base, db, base.meter(dbPID), load, false, out)
				case ceiling && db == nil:
					p.skipped = "needs MySQL (set DATABASE_URL)"
				case ceiling:
					p.fields, p.stmts, p.cpu, p.err = runPhase(ctx, slice, db, meter{dbPID: dbPID}, load, true, out)
				default:
					p.fields, p.stmts, p.cpu, p.err = runPhase(ctx, slice, db, slice.meter(dbPID), load, false, out)
				}
				byRound[ceiling] = append(byRound[ceiling], p)
			}
		}
		for _, ceiling := range []bool{false, true} {
			if ps := byRound[ceiling]; len(ps) == 1 {
				phases = append(phases, ps[0])
			} else if len(ps) > 1 {
				phases = append(phases, mergeRounds(ps))
			}
		}
	}
	var failed []string
	for _, p := range phases {
		if p.err != nil {
			failed = append(failed, fmt.Sprintf("%s %s: %v", p.load, p.label(o), p.err))
		}
	}
	if o.profileDir == "" {
		rss := map[string]float64{}
		for _, s := range []target{{"customers-api", o.customers}, {"orders-api", o.orders}, {"orchestrator", o.orchestrator}} {
			mib, err := residentMiB(ctx, s.addr)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s memory: %v", s.name, err))
				continue
			}
			rss[s.name] = mib
		}
		fmt.Fprint(out, summary(o, phases, rss))
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// roundOrder is the order of round r's two sides (false: the services, true: the ceiling or
// the base build): the services go first in even rounds, the other side in odd ones (ABBA).
// A drift of the machine's speed within a round, and the work one side leaves to the next
// (the database flushing and purging the rows the first one wrote), then fall on both sides
// alike instead of always on the second.
func roundOrder(r int) []bool {
	if r%2 == 1 {
		return []bool{true, false}
	}
	return []bool{false, true}
}

// meter measures the CPU of o's services and of the database server (dbPID, 0 for none).
func (o options) meter(dbPID int) meter {
	return meter{services: []target{{"orders-api", o.orders}, {"customers-api", o.customers}}, dbPID: dbPID}
}

// runPhase runs one tool with -wait: on its ready line it reads the statement counter (with
// db) and the CPU the processes of m have used, and starts the profiles (with
// o.profileDir), then lets it start. The tool's lines go to out; its BENCH line is returned
// parsed, with the statements and the CPU (see cpu.go) per operation. A process whose CPU
// cannot be read is left out of the figures, with a line on out that says why.
func runPhase(ctx context.Context, o options, db *sql.DB, m meter, load string, ceiling bool, out io.Writer) (map[string]string, float64, map[string]cpuFigure, error) {
	args := []string{"-mode", load, "-clients", strconv.Itoa(o.clients), "-duration", o.duration.String(), "-wait"}
	tool := o.loadtest
	if ceiling {
		tool = o.sqlbench
		args = append(args, "-database-url", o.databaseURL)
	} else {
		args = append(args, "-customers", o.customers, "-orders", o.orders)
	}
	through := "bare-SQL ceiling"
	if !ceiling {
		through = "services at " + o.orders
	}
	fmt.Fprintf(out, "bench: %s through the %s (%d clients, %s)\n", load, through, o.clients, o.duration)
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, math.NaN(), nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, math.NaN(), nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, math.NaN(), nil, err
	}
	var (
		fields    map[string]string
		cpuBefore map[string]float64
		before    int64
		counted   bool // the server keeps a Questions counter (TiDB does not)
		startErr  error
		profiles  sync.WaitGroup
		profErrMu sync.Mutex
		profErrs  []error
	)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == benchstat.ReadyLine {
			if db != nil {
				before, counted, startErr = questions(ctx, db)
			}
			var cpuErr error
			if cpuBefore, cpuErr = m.read(ctx); cpuErr != nil {
				fmt.Fprintf(out, "bench: not measured: %v\n", cpuErr)
			}
			if o.profileDir != "" {
				for _, t := range o.pprof {
					profiles.Add(1)
					go func() {
						defer profiles.Done()
						if err := fetchProfile(ctx, t, o.duration, filepath.Join(o.profileDir, t.name+"-"+load+".pprof")); err != nil {
							profErrMu.Lock()
							profErrs = append(profErrs, err)
							profErrMu.Unlock()
						}
					}()
				}
			}
			_, _ = io.WriteString(stdin, "go\n")
			continue
		}
		fmt.Fprintln(out, line)
		if f, ok := benchstat.ParseLine(line); ok {
			fields = f
		}
	}
	waitErr := cmd.Wait()
	profiles.Wait()
	cpuAfter, _ := m.read(ctx) // what it cannot read was said on the ready line, or is left out of cpuOver
	cpu := cpuOver(cpuBefore, cpuAfter, fields)
	stmts := math.NaN()
	if db != nil && startErr == nil && counted && fields != nil {
		after, _, err := questions(ctx, db)
		startErr = err
		// The second SHOW counts itself.
		stmts = statementsPerOp(after-before-1, fields["ops"])
	}
	if fields == nil && waitErr == nil {
		waitErr = errors.New("printed no BENCH line")
	}
	return fields, stmts, cpu, errors.Join(waitErr, startErr, errors.Join(profErrs...))
}

// mergeRounds is one phase out of the same phase's rounds: operations, errors and 5xx added
// up, operations per second over the rounds' seconds together, statements per operation
// weighted by operations, each percentile the median of the rounds' own. A round that failed
// fails the phase; the others still count.
func mergeRounds(rounds []phase) phase {
	m := phase{load: rounds[0].load, ceiling: rounds[0].ceiling, stmts: math.NaN(), cpu: map[string]cpuFigure{}}
	var (
		ops, seconds, errs, s5xx, stmts float64
		pct                             = map[string][]float64{}
		failed                          []error
	)
	stmtsKnown := true
	for i, r := range rounds {
		if r.err != nil {
			failed = append(failed, fmt.Errorf("round %d: %w", i+1, r.err))
		}
		if r.fields == nil {
			continue
		}
		n := number(r.fields["ops"])
		ops += n
		seconds += number(r.fields["seconds"])
		errs += number(r.fields["errors"])
		s5xx += number(r.fields["status_5xx"])
		m.rounds = append(m.rounds, number(r.fields["ops_per_s"]))
		if math.IsNaN(r.stmts) {
			stmtsKnown = false
		}
		stmts += r.stmts * n
		for k, f := range r.cpu {
			sum := m.cpu[k]
			m.cpu[k] = cpuFigure{sum.seconds + f.seconds, sum.ops + f.ops}
		}
		for k, v := range r.fields {
			if strings.HasSuffix(k, "_ms") {
				pct[k] = append(pct[k], number(v))
			}
		}
	}
	m.err = errors.Join(failed...)
	if seconds == 0 {
		return m
	}
	m.fields = map[string]string{
		"ops":        strconv.FormatFloat(ops, 'f', 0, 64),
		"seconds":    strconv.FormatFloat(seconds, 'f', 1, 64),
		"ops_per_s":  strconv.FormatFloat(ops/seconds, 'f', 1, 64),
		"errors":     strconv.FormatFloat(errs, 'f', 0, 64),
		"status_5xx": strconv.FormatFloat(s5xx, 'f', 0, 64),
	}
	for k, vs := range pct {
		m.fields[k] = strconv.FormatFloat(median(vs), 'f', 2, 64)
	}
	if stmtsKnown && ops > 0 {
		m.stmts = stmts / ops
	}
	return m
}

// number is a BENCH field as a number, 0 when it is not one.
func number(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return v
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else if n > 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return math.NaN()
}

func statementsPerOp(statements int64, ops string) float64 {
	n, err := strconv.ParseInt(ops, 10, 64)
	if err != nil || n <= 0 {
		return math.NaN()
	}
	return float64(statements) / float64(n)
}

// questions is the server's count of statements since it started; ok is false on a server
// without that counter (TiDB), whose statements per operation show as not measured.
func questions(ctx context.Context, db *sql.DB) (n int64, ok bool, err error) {
	var name string
	err = db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the Questions counter: %w", err)
	}
	return n, true, nil
}

// fetchProfile saves a CPU profile of d (whole seconds, at least 1) from t's pprof listener.
func fetchProfile(ctx context.Context, t target, d time.Duration, path string) error {
	seconds := max(1, int(math.Ceil(d.Seconds())))
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.addr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("%s profile: %w", t.name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("%s profile: status %d: %s", t.name, res.StatusCode, b)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// residentMiB reads process_resident_memory_bytes from base's /metrics, in MiB.
func residentMiB(ctx context.Context, base string) (float64, error) {
	b, err := metricOf(ctx, base, "process_resident_memory_bytes")
	return b / (1 << 20), err
}

// parseMetric finds an unlabelled metric in a Prometheus text exposition.
func parseMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			b, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("%s %q: %w", name, v, err)
			}
			return b, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /metrics", name)
}

// rssLimitMiB is the resident memory above which a service is flagged.
const rssLimitMiB = 40

// summary is the table a reader reads and one "BENCH mode=summary ..." line a script reads.
func summary(o options, phases []phase, rss map[string]float64) string {
	var b strings.Builder
	store := "memory"
	if o.databaseURL != "" {
		store = "MySQL"
	}
	rounds := ""
	if (o.databaseURL != "" || o.abMode()) && o.rounds > 1 {
		rounds = fmt.Sprintf(" in %d rounds (services and %s, taking turns to go first)", o.rounds, o.other())
	}
	fmt.Fprintf(&b, "\nbench summary: %d clients, %s per phase%s, services on %s\n", o.clients, o.duration, rounds, store)
	fmt.Fprintf(&b, "  %-16s %9s %8s %8s %8s %9s %7s %5s\n", "", "ops/s", "p50 ms", "p95 ms", "p99 ms", "stmts/op", "errors", "5xx")
	line := []string{"BENCH", "mode=summary", fmt.Sprintf("clients=%d", o.clients), fmt.Sprintf("seconds=%.1f", o.duration.Seconds())}
	rate := map[string]float64{}
	for _, p := range phases {
		name := p.load + " " + p.label(o)
		key := p.load
		if p.ceiling {
			key += "_" + o.other()
		}
		if p.fields == nil {
			why := p.skipped
			if why == "" {
				why = fmt.Sprintf("failed: %v", p.err)
			}
			fmt.Fprintf(&b, "  %-16s %s\n", name, why)
			continue
		}
		kind := map[string]string{"flow": "flow", "reads": "read"}[p.load]
		f := p.fields
		ops, _ := strconv.ParseFloat(f["ops_per_s"], 64)
		rate[key] = ops
		fmt.Fprintf(&b, "  %-16s %9s %8s %8s %8s %9s %7s %5s\n", name, f["ops_per_s"], f[kind+"_p50_ms"], f[kind+"_p95_ms"], f[kind+"_p99_ms"],
			formatStmts(p.stmts), f["errors"], f["status_5xx"])
		line = append(line, key+"_per_s="+f["ops_per_s"], key+"_p99_ms="+f[kind+"_p99_ms"], key+"_statements="+formatStmts(p.stmts),
			key+"_errors="+f["errors"], key+"_5xx="+f["status_5xx"])
	}
	for _, load := range []string{"flow", "reads"} {
		s, c := rate[load], rate[load+"_"+o.other()]
		if s > 0 && c > 0 {
			fmt.Fprintf(&b, "  %s: services/%s = %.2f", load, o.other(), s/c)
			line = append(line, fmt.Sprintf("%s_ratio=%.2f", load, s/c))
			if each := roundRatios(phases, load); len(each) > 0 {
				fmt.Fprintf(&b, " (round by round: %s)", strings.Join(each, " "))
				line = append(line, fmt.Sprintf("%s_ratio_rounds=%s", load, strings.Join(each, ",")))
			}
			b.WriteString("\n")
		} else if o.databaseURL == "" && !o.abMode() {
			fmt.Fprintf(&b, "  %s: no ratio: the bare-SQL ceiling needs MySQL (DATABASE_URL)\n", load)
		}
	}
	for _, load := range []string{"flow", "reads"} {
		var sides []string
		for _, p := range phases {
			if p.load != load || len(p.cpu) == 0 {
				continue
			}
			text, fields := cpuSummary(o, p)
			sides = append(sides, text)
			line = append(line, fields...)
		}
		if len(sides) > 0 {
			kind := map[string]string{"flow": "flow", "reads": "read"}[load]
			fmt.Fprintf(&b, "  CPU per %s, µs: %s\n", kind, strings.Join(sides, "; "))
		}
	}
	var mem []string
	over := 0
	for _, name := range []string{"customers-api", "orders-api", "orchestrator"} {
		mib, ok := rss[name]
		if !ok {
			mem = append(mem, name+" unknown")
			continue
		}
		flag := ""
		if mib > rssLimitMiB {
			flag = fmt.Sprintf(" OVER %d MiB", rssLimitMiB)
			over++
		}
		mem = append(mem, fmt.Sprintf("%s %.1f MiB%s", name, mib, flag))
		line = append(line, fmt.Sprintf("rss_%s_mib=%.1f", strings.TrimSuffix(name, "-api"), mib))
	}
	fmt.Fprintf(&b, "  resident memory after the load: %s\n", strings.Join(mem, ", "))
	line = append(line, fmt.Sprintf("rss_over_%dmib=%d", rssLimitMiB, over))
	b.WriteString(strings.Join(line, " ") + "\n")
	return b.String()
}

// cpuSummary is a phase's CPU per operation, process by process (cpuKeys' order), as text
// ("services: orders-api 705 + customers-api 149 + loadtest 162 + database 1229 = 2245")
// and as summary fields (flow_cpu_orders_us=705 ... flow_cpu_us=2245). The total is there
// only when every process of the side was measured: the load tool, the database, and for
// the services both of them.
func cpuSummary(o options, p phase) (text string, fields []string) {
	key := p.load
	if p.ceiling {
		key += "_" + o.other()
	}
	var parts []string
	total, complete := 0.0, true
	for _, k := range cpuKeys {
		f, ok := p.cpu[k]
		ofThisSide := !p.ceiling || o.abMode() || k == "load" || k == "database"
		if !ok {
			complete = complete && !ofThisSide
			continue
		}
		name := k
		if k == "load" {
			name = "loadtest"
			if p.ceiling && !o.abMode() {
				name = "sqlbench"
			}
		}
		parts = append(parts, fmt.Sprintf("%s %.0f", name, f.perOp()))
		total += f.perOp()
		fields = append(fields, fmt.Sprintf("%s_cpu_%s_us=%.0f", key, strings.TrimSuffix(k, "-api"), f.perOp()))
	}
	text = p.label(o) + ": " + strings.Join(parts, " + ")
	if complete {
		text += fmt.Sprintf(" = %.0f", total)
		fields = append(fields, fmt.Sprintf("%s_cpu_us=%.0f", key, total))
	} else {
		text += " (not all measured)"
	}
	return text, fields
}

// roundRatios are the services/ceiling ratios of load's rounds, round by round, when both
// sides ran the same rounds.
func roundRatios(phases []phase, load string) []string {
	var svc, ceil []float64
	for _, p := range phases {
		if p.load != load {
			continue
		}
		if p.ceiling {
			ceil = p.rounds
		} else {
			svc = p.rounds
		}
	}
	if len(svc) == 0 || len(svc) != len(ceil) {
		return nil
	}
	out := make([]string, len(svc))
	for i := range svc {
		if ceil[i] <= 0 {
			return nil
		}
		out[i] = fmt.Sprintf("%.2f", svc[i]/ceil[i])
	}
	return out
}

func formatStmts(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
