package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
)

// The suite's settings, read once by TestMain when FAULTS=1.
var suite struct {
	bins   map[string]string // service name -> built binary
	server string            // mysql://user@host:port/ of the server the tests make databases on
}

const (
	customersAPI = "customers-api"
	ordersAPI    = "orders-api"

	// clientTimeout is how long the tests' HTTP client waits for any answer: a request still
	// unanswered then has hung, which the services must never do.
	clientTimeout = 10 * time.Second

	jwtSecret    = "fault-tests-jwt-secret-0123456789"
	serviceToken = "fault-tests-service-token-0123456789"
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("FAULTS") != "1" {
		return m.Run() // the fault tests skip themselves; TestProxy runs
	}
	suite.server = os.Getenv("TEST_DATABASE_URL")
	if suite.server == "" {
		suite.server = "mysql://root@127.0.0.1:3306/"
	}
	if err := pingServer(suite.server); err != nil {
		fmt.Fprintf(os.Stderr, "faulttest: FAULTS=1 but no database server answers at TEST_DATABASE_URL (%s): %v\n", redact(suite.server), err)
		return 1
	}
	dir, err := os.MkdirTemp("", "faulttest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err := build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		return 1
	}
	suite.bins = bins
	return m.Run()
}

// requireFaults skips t unless the run asked for the fault tests. The reason names neither
// MySQL nor mysqltest, so that CI's search for skipped MySQL tests does not count it.
func requireFaults(t *testing.T) {
	t.Helper()
	if os.Getenv("FAULTS") != "1" {
		t.Skip("fault-injection test: builds and runs the binaries, set FAULTS=1 (make test-faults) to run it")
	}
}

// build compiles the two services into dir, with -race when FAULTS_RACE=1.
func build(dir string) (map[string]string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		if root := os.Getenv("GOROOT"); root != "" {
			gobin = filepath.Join(root, "bin", "go")
		} else {
			return nil, fmt.Errorf("no go command to build the services: %w", err)
		}
	}
	gomod, err := exec.Command(gobin, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		return nil, fmt.Errorf("find the module root: %v", err)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if os.Getenv("FAULTS_RACE") == "1" {
		args = append(args, "-race")
	}
	args = append(args, "./bootstrap/customersapi", "./bootstrap/ordersapi")
	cmd := exec.Command(gobin, args...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return map[string]string{
		customersAPI: filepath.Join(dir, "customersapi"),
		ordersAPI:    filepath.Join(dir, "ordersapi"),
	}, nil
}

func pingServer(server string) error {
	db, err := mysql.Open(context.Background(), mysql.DatabaseURL(withPath(server, "")), mysql.PoolConfig{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	return db.Close()
}

// withPath returns the server URL naming database name.
func withPath(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		return server
	}
	u.Path = "/" + name
	return u.String()
}

// withHost returns u with its host:port replaced (to go through a proxy).
func withHost(u, hostport string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Host = hostport
	return parsed.String()
}

func redact(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "(unparsable)"
	}
	return parsed.Redacted()
}

func unique() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newDatabase creates a migrated database for one test and drops it when the test ends. It
// returns its URL and a small pool the test checks rows with.
func newDatabase(t *testing.T) (string, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	root, err := mysql.Open(ctx, mysql.DatabaseURL(withPath(suite.server, "")), mysql.PoolConfig{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	name := "faults_" + unique()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		root.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = root.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
		root.Close()
	})
	u := withPath(suite.server, name)
	if err := mysql.Migrate(ctx, mysql.DatabaseURL(u), io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := mysql.Open(ctx, mysql.DatabaseURL(u), mysql.PoolConfig{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return u, db
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// service is one binary run as a subprocess. Its output goes to a log file that is printed
// (the end of it) when the test fails.
type service struct {
	t    *testing.T
	name string
	port int
	env  map[string]string
	log  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// newService prepares name on a free port with env (PORT is added); Start runs it.
func newService(t *testing.T, name string, env map[string]string) *service {
	t.Helper()
	s := &service{t: t, name: name, port: freePort(t), env: env,
		log: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() {
		s.Kill()
		if s.WaitLog("WARNING: DATA RACE", 0) { // binaries built with FAULTS_RACE=1
			t.Errorf("%s reported a data race (see its log)", s.name)
		}
		if t.Failed() {
			t.Logf("%s log (end):\n%s", s.name, s.logTail(60))
		}
	})
	return s
}

// Base is the service's URL.
func (s *service) Base() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

// Start runs the binary and waits until its /health answers 200.
func (s *service) Start() {
	s.t.Helper()
	f, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	fmt.Fprintf(f, "=== faulttest: starting %s on port %d\n", s.name, s.port)
	cmd := exec.Command(suite.bins[s.name])
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PORT=" + strconv.Itoa(s.port)}
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		s.t.Fatalf("start %s: %v", s.name, err)
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.exited, s.waitErr = cmd, exited, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		f.Close()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(exited)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.t.Fatalf("%s exited at start-up (%v):\n%s", s.name, s.waitErr, s.logTail(30))
		default:
		}
		res, err := client.Get(s.Base() + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("%s did not answer /health within 30s:\n%s", s.name, s.logTail(30))
}

// Signal sends sig to the running process.
func (s *service) Signal(sig os.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatalf("%s is not running", s.name)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %s: %v", s.name, err)
	}
}

// Wait waits up to d for the process to exit and returns its exit error (nil: status 0).
func (s *service) Wait(d time.Duration) (exited bool, err error) {
	s.mu.Lock()
	ch := s.exited
	s.mu.Unlock()
	if ch == nil {
		return true, nil
	}
	select {
	case <-ch:
		s.mu.Lock()
		defer s.mu.Unlock()
		return true, s.waitErr
	case <-time.After(d):
		return false, nil
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *service) Kill() {
	s.mu.Lock()
	cmd, ch := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-ch:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-ch
}

// WaitLog waits up to d for the log to contain substr.
func (s *service) WaitLog(substr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		b, _ := os.ReadFile(s.log)
		if bytes.Contains(b, []byte(substr)) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *service) logTail(n int) string {
	f, err := os.Open(s.log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// world is one test's deployment: a database, customers-api, orders-api, a user token and a
// customer that exists.
type world struct {
	t          *testing.T
	dbURL      string
	db         *sql.DB
	customers  *service
	orders     *service
	token      string
	customerID int64
	http       *http.Client
}

// worldOptions change how the services run.
type worldOptions struct {
	// OrdersDB, when set, is the host:port orders-api reaches the database through (a proxy).
	OrdersDB string
	// CustomersVia, when set, wraps customers-api's address into the one orders-api calls
	// (a proxy in front of it); it gets customers-api's host:port.
	CustomersVia func(hostport string) string
	// OrdersEnv is added to orders-api's environment (UPSTREAM_TIMEOUT, SHUTDOWN_TIMEOUT...).
	OrdersEnv map[string]string
	// NoStart leaves orders-api stopped (the test starts it once its proxy exists).
	NoStart bool
}

func newWorld(t *testing.T, opt worldOptions) *world {
	t.Helper()
	w := &world{t: t}
	w.dbURL, w.db = newDatabase(t)
	w.customers = newService(t, customersAPI, map[string]string{
		"DATABASE_URL": w.dbURL, "JWT_SECRET": jwtSecret, "SERVICE_TOKEN": serviceToken,
		"ADMIN_USER": "admin", "ADMIN_PASSWORD": "fault-tests-admin-password",
	})
	w.customers.Start()
	customersAddr := "127.0.0.1:" + strconv.Itoa(w.customers.port)
	if opt.CustomersVia != nil {
		customersAddr = opt.CustomersVia(customersAddr)
	}
	ordersDB := w.dbURL
	if opt.OrdersDB != "" {
		ordersDB = withHost(w.dbURL, opt.OrdersDB)
	}
	env := map[string]string{
		"DATABASE_URL": ordersDB, "JWT_SECRET": jwtSecret, "SERVICE_TOKEN": serviceToken,
		"CUSTOMERS_API_BASE": "http://" + customersAddr,
	}
	for k, v := range opt.OrdersEnv {
		env[k] = v
	}
	w.orders = newService(t, ordersAPI, env)
	if !opt.NoStart {
		w.orders.Start()
	}
	tokens, err := jwt.NewTokens(jwt.Secret(jwtSecret), jwt.Issuer("customers-api"), jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokens.Issue("fault-tests", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.token = tok.Value
	w.customerID = w.newCustomer()
	w.http = &http.Client{Timeout: clientTimeout, Transport: &http.Transport{
		MaxIdleConns: 200, MaxIdleConnsPerHost: 100, IdleConnTimeout: 30 * time.Second,
	}}
	t.Cleanup(w.http.CloseIdleConnections)
	return w
}

// newCustomer inserts a customer row (customers-api reads the same database) and returns its id.
func (w *world) newCustomer() int64 {
	w.t.Helper()
	res, err := w.db.Exec("INSERT INTO customers (name, email, created_at, updated_at) VALUES (?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
		"Fault Co", "faults-"+unique()+"@example.com")
	if err != nil {
		w.t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// reply is what a request got: an answer, or err when none came.
type reply struct {
	status  int
	header  http.Header
	body    []byte
	err     error
	elapsed time.Duration
}

func (r reply) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, r.body)
}

func (r reply) data() map[string]any {
	var env struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(r.body, &env)
	return env.Data
}

// id is data.id of a success.
func (r reply) id() int64 {
	f, _ := r.data()["id"].(float64)
	return int64(f)
}

// code is error.code of an error answer.
func (r reply) code() string {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &env)
	return env.Error.Code
}

func (r reply) replayed() bool { return r.header.Get("Idempotent-Replayed") == "true" }

// do sends one request to orders-api with the user token; header is name, value pairs.
func (w *world) do(method, path, body string, header ...string) reply {
	return w.doWith(w.http, method, path, body, header...)
}

func (w *world) doWith(client *http.Client, method, path, body string, header ...string) reply {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, w.orders.Base()+path, rd)
	if err != nil {
		return reply{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return reply{err: err, elapsed: time.Since(start)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b, err: err, elapsed: time.Since(start)}
}

// createProduct creates a product through orders-api and returns its id.
func (w *world) createProduct(stock int) int64 {
	w.t.Helper()
	r := w.do("POST", "/products", fmt.Sprintf(`{"sku":"FAULT-%s","name":"Fault widget","price_cents":1250,"stock":%d}`, unique(), stock))
	if r.status != http.StatusCreated {
		w.t.Fatalf("create product: got %v", r)
	}
	return r.id()
}

func orderBody(customerID, productID int64, qty int) string {
	return fmt.Sprintf(`{"customer_id":%d,"items":[{"product_id":%d,"qty":%d}]}`, customerID, productID, qty)
}

func (w *world) createOrder(productID int64, qty int, header ...string) reply {
	return w.do("POST", "/orders", orderBody(w.customerID, productID, qty), header...)
}

func (w *world) confirm(orderID int64, key string) reply {
	return w.do("POST", "/orders/"+strconv.FormatInt(orderID, 10)+"/confirm", "", "Idempotency-Key", key)
}

// ready returns the status of orders-api's /ready (0 when no answer came).
func (w *world) ready() int {
	r := w.do("GET", "/ready", "")
	if r.err != nil {
		return 0
	}
	return r.status
}

// count runs a COUNT(*) (or any one-integer) query. A failure is reported (with Errorf, so
// that workers may call it) and counts -1.
func (w *world) count(query string, args ...any) int64 {
	w.t.Helper()
	var n sql.NullInt64
	if err := w.db.QueryRow(query, args...).Scan(&n); err != nil {
		w.t.Errorf("%s: %v", query, err)
		return -1
	}
	return n.Int64
}

// checkStock checks the rule the faults must never break: the product's initial stock is
// what remains plus the units in orders that are not canceled.
func (w *world) checkStock(productID int64, initial int) {
	w.t.Helper()
	stock := w.count("SELECT stock FROM products WHERE id = ?", productID)
	sold := w.count(`SELECT COALESCE(SUM(i.qty), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE i.product_id = ? AND o.status <> 'CANCELED'`, productID)
	if stock < 0 || stock+sold != int64(initial) {
		w.t.Errorf("stock does not balance for product %d: %d remaining + %d units in orders = %d, want the initial %d",
			productID, stock, sold, stock+sold, initial)
	}
}

// checkWhole checks that no order was half written and no idempotency key was left reserved.
func (w *world) checkWhole() {
	w.t.Helper()
	if n := w.count("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)"); n != 0 {
		w.t.Errorf("%d orders without items", n)
	}
	if n := w.count(`SELECT COUNT(*) FROM orders o WHERE o.total_cents <>
		(SELECT COALESCE(SUM(i.subtotal_cents), 0) FROM order_items i WHERE i.order_id = o.id)`); n != 0 {
		w.t.Errorf("%d orders whose total is not the sum of their items", n)
	}
	if n := w.count("SELECT COUNT(*) FROM idempotency_keys WHERE response_status = 0"); n != 0 {
		w.t.Errorf("%d idempotency keys stored without their response", n)
	}
	if n := w.count("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED' AND confirmed_at IS NULL"); n != 0 {
		w.t.Errorf("%d CONFIRMED orders without confirmed_at", n)
	}
}

// waitFor polls cond until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// isRefused reports a connection refused: nothing listens on the port.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
