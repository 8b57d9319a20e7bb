package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Where an operation's CPU goes. The ratio of the services to the ceiling is one number; the
// CPU each process spent per operation says what makes it: the services, the load tool's own
// HTTP, the database. A side's processes:
//
//	the services    orders-api and customers-api, from their /metrics (process_cpu_seconds_total)
//	the load tool   loadtest or sqlbench, which print their own (cpu_s on the BENCH line)
//	the database    the server's process, read from /proc when it runs on this machine
//
// Each is read when the tool is ready and again when it has finished, so that the figures
// count the load alone (the services' and the database's count whatever else they did
// meanwhile, as the statement counter does).

// cpuKeys are the processes of a side, in the order the summary prints them.
var cpuKeys = []string{"orders-api", "customers-api", "load", "database"}

// cpuFigure is a process's CPU seconds over ops operations.
type cpuFigure struct{ seconds, ops float64 }

// perOp is the figure in microseconds per operation.
func (f cpuFigure) perOp() float64 { return f.seconds / f.ops * 1e6 }

// meter reads the CPU seconds used so far by the services of a side (none for the ceiling)
// and by the database server (dbPID, 0 when it is not on this machine or not found).
type meter struct {
	services []target // name and base URL
	dbPID    int
}

// read returns each process's CPU seconds so far; a process it cannot read is left out, and
// why is in the error.
func (m meter) read(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	var errs []error
	for _, s := range m.services {
		v, err := metricOf(ctx, s.addr, "process_cpu_seconds_total")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s CPU: %w", s.name, err))
			continue
		}
		out[s.name] = v
	}
	if m.dbPID > 0 {
		v, err := procCPUSeconds(m.dbPID)
		if err != nil {
			errs = append(errs, fmt.Errorf("database CPU: %w", err))
		} else {
			out["database"] = v
		}
	}
	return out, errors.Join(errs...)
}

// cpuOver is what each process used between before and after, over ops operations, with the
// load tool's own figure (its BENCH line's cpu_s) when it printed one.
func cpuOver(before, after map[string]float64, fields map[string]string) map[string]cpuFigure {
	ops := number(fields["ops"])
	if ops <= 0 {
		return nil
	}
	out := map[string]cpuFigure{}
	for k, b := range before {
		if a, ok := after[k]; ok && a >= b {
			out[k] = cpuFigure{a - b, ops}
		}
	}
	if s, err := strconv.ParseFloat(fields["cpu_s"], 64); err == nil {
		out["load"] = cpuFigure{s, ops}
	}
	return out
}

// localServerPID is the process id of the MySQL server behind db when it runs on this
// machine: the URL names a loopback host, the server's pid file (@@pid_file) is readable here
// and names a running mysqld or mariadbd. 0 otherwise: the database's CPU is then not
// measured.
func localServerPID(ctx context.Context, db *sql.DB, databaseURL string) int {
	u, err := url.Parse(databaseURL)
	if err != nil || !isLoopback(u.Hostname()) {
		return 0
	}
	var path string
	if err := db.QueryRowContext(ctx, "SELECT @@pid_file").Scan(&path); err != nil {
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if name := strings.TrimSpace(string(comm)); err != nil || (name != "mysqld" && name != "mariadbd") {
		return 0
	}
	return pid
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// architecture Go supports.
const clockTicks = 100

// procCPUSeconds is a process's user and system time so far, all its threads, from
// /proc/<pid>/stat.
func procCPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat line; the
// command name before them is in parentheses and may hold spaces.
func parseProcStat(line string) (float64, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %q: no command name", line)
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat %q: too few fields", line)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc stat %q: %w", line, err)
	}
	return float64(utime+stime) / clockTicks, nil
}

// metricOf reads one unlabelled metric from base's /metrics.
func metricOf(ctx context.Context, base, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s/metrics: status %d", base, res.StatusCode)
	}
	return parseMetric(res.Body, name)
}
