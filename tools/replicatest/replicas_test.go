package replicatest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

// replica is one instance of a service: its handler on a server of its own, counting the
// requests it answered.
type replica struct {
	srv    *httptest.Server
	served atomic.Int64
}

func serve(t *testing.T, h http.Handler) *replica {
	t.Helper()
	r := &replica{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.served.Add(1)
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// roundRobin is the load balancer: an httputil.ReverseProxy per replica, taken in turn.
func roundRobin(t *testing.T, replicas ...*replica) *httptest.Server {
	t.Helper()
	proxies := make([]*httputil.ReverseProxy, len(replicas))
	for i, r := range replicas {
		u, err := url.Parse(r.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		proxies[i] = httputil.NewSingleHostReverseProxy(u)
	}
	var next atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[(next.Add(1)-1)%uint64(len(proxies))].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// pool opens a connection pool of its own, as each replica's process has.
func pool(t *testing.T) *sql.DB {
	t.Helper()
	db, err := mysql.Open(context.Background(), env.URL(t), mysql.PoolConfig{MaxOpenConns: 16, MaxIdleConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// cluster is two replicas of each API on one database, each pair behind its proxy.
type cluster struct {
	db                   *sql.DB // for the checks in SQL
	customers, orders    [2]*replica
	ordersAPI            [2]*ordersapitest.API
	customersURL, ordURL string
}

func newCluster(t *testing.T, hold time.Duration) *cluster {
	t.Helper()
	c := &cluster{db: pool(t)}
	for i := range 2 {
		db := pool(t)
		limiter, err := mysql.NewAttemptLimiter(db, auth.DefaultAttemptPolicy())
		if err != nil {
			t.Fatal(err)
		}
		api := customersapitest.New(t, customersapitest.Options{Customers: mysql.NewCustomerRepository(db), Limiter: limiter})
		c.customers[i] = serve(t, api.Handler)
	}
	c.customersURL = roundRobin(t, c.customers[0], c.customers[1]).URL
	for i := range 2 {
		c.ordersAPI[i] = ordersapitest.New(t, ordersapitest.Options{
			Store: mysql.NewOrdersStore(pool(t)), CustomersBase: c.customersURL, CustomersTimeout: 15 * time.Second, HoldTTL: hold})
		c.orders[i] = serve(t, c.ordersAPI[i].Handler)
	}
	c.ordURL = roundRobin(t, c.orders[0], c.orders[1]).URL
	return c
}

// bothServed fails the test unless each replica of the pair answered at least one request.
func bothServed(t *testing.T, what string, pair [2]*replica) {
	t.Helper()
	if a, b := pair[0].served.Load(), pair[1].served.Load(); a == 0 || b == 0 {
		t.Fatalf("%s: the replicas answered %d and %d requests, want both some", what, a, b)
	}
}

type answer struct {
	status int
	header http.Header
	raw    []byte
}

func (a answer) data(t *testing.T) map[string]any {
	t.Helper()
	var body struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(a.raw, &body); err != nil {
		t.Fatalf("body %s: %v", a.raw, err)
	}
	return body.Data
}

func (a answer) id(t *testing.T) int64 {
	t.Helper()
	id, _ := a.data(t)["id"].(float64)
	return int64(id)
}

func (a answer) code() string {
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(a.raw, &body)
	return body.Error.Code
}

var client = &http.Client{Timeout: 20 * time.Second}

// call sends a request; header holds name, value pairs.
func call(t *testing.T, method, u, token, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return answer{}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Error(err)
	}
	return answer{status: res.StatusCode, header: res.Header, raw: raw}
}

func want(t *testing.T, a answer, status int, what string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: got %d %s, want %d", what, a.status, a.raw, status)
	}
}

func login(t *testing.T, base, user, password string) answer {
	t.Helper()
	return call(t, "POST", base+"/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
}

func (c *cluster) token(t *testing.T) string {
	t.Helper()
	a := login(t, c.customersURL, customersapitest.DefaultAdminUser, customersapitest.DefaultAdminPassword)
	want(t, a, 200, "login")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.raw, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login answered %s", a.raw)
	}
	return tok.AccessToken
}

func (c *cluster) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n sql.NullInt64
	if err := c.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return int(n.Int64)
}

// stockBalance returns a product's stock, the units its CONFIRMED orders hold (sold) and
// the units its CREATED orders hold (held), read in SQL by one statement (one snapshot,
// even while sweeps move units from held back to stock).
func (c *cluster) stockBalance(t *testing.T, productID int64) (stock, sold, held int) {
	t.Helper()
	const units = "(SELECT COALESCE(SUM(i.qty), 0) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.product_id = p.id AND o.status = ?)"
	err := c.db.QueryRowContext(context.Background(), "SELECT p.stock, "+units+", "+units+" FROM products p WHERE p.id = ?",
		"CONFIRMED", "CREATED", productID).Scan(&stock, &sold, &held)
	if err != nil {
		t.Fatalf("stock balance: %v", err)
	}
	return stock, sold, held
}

func (c *cluster) customer(t *testing.T, token, name string) int64 {
	t.Helper()
	a := call(t, "POST", c.customersURL+"/customers", token,
		fmt.Sprintf(`{"name":%q,"email":"%s-%s@example.com"}`, name, strings.ToLower(name), mysqltest.Unique()))
	want(t, a, 201, "create customer")
	return a.id(t)
}

func (c *cluster) product(t *testing.T, token string, stock int) int64 {
	t.Helper()
	a := call(t, "POST", c.ordURL+"/products", token,
		fmt.Sprintf(`{"sku":"SKU-%s","name":"Widget","price_cents":2599,"stock":%d}`, mysqltest.Unique(), stock))
	want(t, a, 201, "create product")
	return a.id(t)
}

func orderBody(customerID, productID int64, qty int) string {
	return fmt.Sprintf(`{"customer_id":%d,"items":[{"product_id":%d,"qty":%d}]}`, customerID, productID, qty)
}

// TestTwoReplicasOfEachAPI runs every scenario through the proxies of one cluster.
func TestTwoReplicasOfEachAPI(t *testing.T) {
	c := newCluster(t, 0)
	token := c.token(t)

	t.Run("SeedFlow", func(t *testing.T) {
		customer := c.customer(t, token, "ACME")
		// The customer made through one replica is read through the other.
		for range 2 {
			want(t, call(t, "GET", c.customersURL+"/customers/"+strconv.FormatInt(customer, 10), token, ""), 200, "read customer")
		}
		product := c.product(t, token, 100)
		o := call(t, "POST", c.ordURL+"/orders", token, orderBody(customer, product, 3))
		want(t, o, 201, "create order")
		oid := strconv.FormatInt(o.id(t), 10)
		first := call(t, "POST", c.ordURL+"/orders/"+oid+"/confirm", token, "", "X-Idempotency-Key", "seed-confirm")
		want(t, first, 200, "confirm")
		again := call(t, "POST", c.ordURL+"/orders/"+oid+"/confirm", token, "", "X-Idempotency-Key", "seed-confirm")
		want(t, again, 200, "replay on the other replica")
		if !bytes.Equal(again.raw, first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: got %s (replayed %q), want %s", again.raw, again.header.Get("Idempotent-Replayed"), first.raw)
		}
		want(t, call(t, "POST", c.ordURL+"/orders/"+oid+"/cancel", token, ""), 200, "cancel")
		if stock, _, _ := c.stockBalance(t, product); stock != 100 {
			t.Fatalf("after the cancel: got stock %d, want 100", stock)
		}
		bothServed(t, "customers-api", c.customers)
		bothServed(t, "orders-api", c.orders)
	})

	t.Run("SameKeyConfirmRace", func(t *testing.T) {
		customer := c.customer(t, token, "Race")
		product := c.product(t, token, 10)
		oid := strconv.FormatInt(call(t, "POST", c.ordURL+"/orders", token, orderBody(customer, product, 2)).id(t), 10)
		const n = 20
		answers := race(n, func(int) answer {
			return call(t, "POST", c.ordURL+"/orders/"+oid+"/confirm", token, "", "X-Idempotency-Key", "race-"+oid)
		})
		var ok []answer
		for _, a := range answers {
			switch {
			case a.status == 200:
				ok = append(ok, a)
			case a.status == 409 && a.code() == "idempotency_key_in_progress":
			default:
				t.Fatalf("confirm: got %d %s, want 200 or 409 idempotency_key_in_progress", a.status, a.raw)
			}
		}
		if len(ok) == 0 {
			t.Fatal("no confirm succeeded")
		}
		for _, a := range ok[1:] {
			if !bytes.Equal(a.raw, ok[0].raw) {
				t.Fatalf("two answers of one key differ: %s and %s", a.raw, ok[0].raw)
			}
		}
		transitions := c.count(t, "SELECT COUNT(*) FROM orders WHERE id = ? AND status = 'CONFIRMED'", oid)
		keys := c.count(t, "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = ?", "race-"+oid)
		if transitions != 1 || keys != 1 {
			t.Fatalf("got %d confirmed rows and %d key rows, want one each", transitions, keys)
		}
		if stock, sold, _ := c.stockBalance(t, product); stock != 8 || sold != 2 {
			t.Fatalf("got stock %d and %d sold, want 8 and 2", stock, sold)
		}
	})

	t.Run("LastUnitsRace", func(t *testing.T) {
		customer := c.customer(t, token, "LastUnits")
		const stock, buyers = 5, 24
		product := c.product(t, token, stock)
		answers := race(buyers, func(int) answer {
			return call(t, "POST", c.ordURL+"/orders", token, orderBody(customer, product, 1))
		})
		created := 0
		for _, a := range answers {
			switch {
			case a.status == 201:
				created++
			case a.status == 409 && a.code() == "insufficient_stock":
			default:
				t.Fatalf("create: got %d %s, want 201 or 409 insufficient_stock", a.status, a.raw)
			}
		}
		left, _, held := c.stockBalance(t, product)
		if created != stock || left != 0 || held != stock {
			t.Fatalf("got %d orders, stock %d and %d units held, want %d orders, stock 0 and %d held", created, left, held, stock, stock)
		}
	})

	t.Run("LoginLimitAcrossReplicas", func(t *testing.T) {
		policy := auth.DefaultAttemptPolicy()
		before := [2]int64{c.customers[0].served.Load(), c.customers[1].served.Load()}
		for i := range policy.MaxFailures {
			want(t, login(t, c.customersURL, "intruder", "wrong"), 401, fmt.Sprint("failure ", i+1))
		}
		for i, r := range c.customers {
			if r.served.Load() == before[i] {
				t.Fatalf("replica %d answered none of the failures: the limit was not shared", i+1)
			}
		}
		a := login(t, c.customersURL, "intruder", "wrong")
		want(t, a, 429, fmt.Sprintf("attempt %d", policy.MaxFailures+1))
		if a.code() != "too_many_attempts" || a.header.Get("Retry-After") == "" {
			t.Fatalf("got %s with Retry-After %q, want too_many_attempts and a Retry-After", a.raw, a.header.Get("Retry-After"))
		}
		// At once, on both replicas: exactly the limit get a password check.
		answers := race(12, func(int) answer { return login(t, c.customersURL, "intruder-2", "wrong") })
		codes := map[int]int{}
		for _, a := range answers {
			codes[a.status]++
		}
		if codes[401] != policy.MaxFailures || codes[429] != 12-policy.MaxFailures {
			t.Fatalf("12 concurrent failures through both replicas: got %v, want %d x 401 and the rest 429", codes, policy.MaxFailures)
		}
	})
}

// race runs n calls at once and returns their answers.
func race(n int, fn func(i int) answer) []answer {
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return answers
}

// TestReservationsExpireUnderLoadOnTwoReplicas: with a 1 s hold, 200 clients at once create
// an order each through the proxy and half of them confirm it, while both replicas sweep
// every 100 ms. In SQL, at every point: stock + sold + held = the starting stock; at the end
// nothing is held, every unconfirmed order is CANCELED/expired, and the two sweeps expired
// each of them once between them.
func TestReservationsExpireUnderLoadOnTwoReplicas(t *testing.T) {
	const (
		hold    = time.Second
		clients = 200
		start   = 1000
	)
	c := newCluster(t, hold)
	token := c.token(t)
	customer := c.customer(t, token, "Expiry")
	product := c.product(t, token, start)

	ctx, stop := context.WithCancel(context.Background())
	var (
		sweeps sync.WaitGroup
		swept  [2]orders.Sweep
	)
	for i, api := range c.ordersAPI {
		sweeps.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				s, err := api.Orders.ExpireOrders(ctx)
				if err != nil && ctx.Err() == nil {
					t.Errorf("replica %d's sweep: %v", i+1, err)
				}
				swept[i].Orders += s.Orders
				swept[i].Units += s.Units
			}
		})
	}

	defer func() { stop(); sweeps.Wait() }() // also when the test fails: no sweep outlives it

	var confirmed, expiredOnConfirm atomic.Int64
	loads := race(clients, func(i int) answer {
		qty := 1 + i%3
		o := call(t, "POST", c.ordURL+"/orders", token, orderBody(customer, product, qty))
		if o.status != 201 || i%2 == 1 {
			return o
		}
		a := call(t, "POST", c.ordURL+"/orders/"+strconv.FormatInt(o.id(t), 10)+"/confirm", token, "", "X-Idempotency-Key", fmt.Sprint("load-", i))
		switch {
		case a.status == 200:
			confirmed.Add(1)
		case a.status == 409 && a.code() == "order_expired":
			expiredOnConfirm.Add(1)
		default:
			t.Errorf("confirm: got %d %s", a.status, a.raw)
		}
		return o
	})
	created, units := 0, 0
	for i, a := range loads {
		if a.status != 201 {
			t.Fatalf("create: got %d %s", a.status, a.raw)
		}
		created++
		units += 1 + i%3
	}
	stock, sold, held := c.stockBalance(t, product)
	if stock+sold+held != start {
		t.Fatalf("during the load: stock %d + sold %d + held %d = %d, want %d", stock, sold, held, stock+sold+held, start)
	}
	// Past every hold, and a few sweeps later, nothing is held any more.
	deadline := time.Now().Add(hold + 5*time.Second)
	for {
		stock, sold, held = c.stockBalance(t, product)
		if held == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	sweeps.Wait()
	expired := c.count(t, "SELECT COUNT(*) FROM orders WHERE customer_id = ? AND status = 'CANCELED' AND cancel_reason = 'expired'", customer)
	t.Logf("%d orders (%d units) from %d clients: %d confirmed, %d confirms too late (409 order_expired); "+
		"in SQL: stock %d + sold %d + held %d = %d (start %d), %d expired; sweeps: replica 1 %+v, replica 2 %+v",
		created, units, clients, confirmed.Load(), expiredOnConfirm.Load(), stock, sold, held, stock+sold+held, start, expired, swept[0], swept[1])
	if stock+sold+held != start || held != 0 {
		t.Fatalf("after the holds: stock %d + sold %d + held %d, want %d with nothing held", stock, sold, held, start)
	}
	if confirmedRows := c.count(t, "SELECT COUNT(*) FROM orders WHERE customer_id = ? AND status = 'CONFIRMED'", customer); confirmedRows != int(confirmed.Load()) {
		t.Fatalf("got %d CONFIRMED orders in SQL, want the %d confirms that succeeded", confirmedRows, confirmed.Load())
	}
	if expired+int(confirmed.Load()) != created {
		t.Fatalf("got %d expired + %d confirmed orders, want all %d", expired, confirmed.Load(), created)
	}
	if got := swept[0].Orders + swept[1].Orders; got != expired {
		t.Fatalf("the sweeps counted %d expiries between them, want %d (each order once)", got, expired)
	}
	if got := swept[0].Units + swept[1].Units; got != units-sold {
		t.Fatalf("the sweeps released %d units, want %d", got, units-sold)
	}
}
