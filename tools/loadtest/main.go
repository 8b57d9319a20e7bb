// Command loadtest drives the real services over HTTP and prints one summary line per run
// that a script can read ("BENCH key=value ...", see tools/benchstat). Modes:
//
//	flow         create+confirm flows at -clients concurrency for -duration, each order of 1
//	             to 3 random products of -products: ops/s and p50/p95/p99 per request kind
//	             (create, confirm) and of the whole flow.
//	reads        the same, half GET /products?limit=20 (orders-api), half GET
//	             /customers/{id} (customers-api) of -read-customers customers it creates.
//	contention   -clients clients buy qty 1 of one product with stock -stock until it is
//	             gone; checks units sold == stock removed and stock >= 0.
//	idempotency  -clients clients confirm one order with one key at once; checks exactly one
//	             transition and identical replays.
//
// flow and reads count failed operations (errors) and, among them, the 5xx answers
// (status_5xx), and exit non-zero when there is any. With -wait they print
// benchstat.ReadyLine once set up and start the load when a line arrives on stdin.
//
// Its HTTP client is fasthttp's (-http-client fasthttp, the default) or the standard
// library's (-http-client net/http). On the 2-core machine where make bench runs everything,
// the load tool takes its CPU from the same cores as the services and the database, and
// net/http's client spends about as much per request as a service does to answer it (two
// goroutine hand-offs per request in its connection's read and write loops): fasthttp's
// client, which reads and writes on the caller's goroutine, takes less of the cores that
// the measurement is about. Both are kept so that the figures can be compared.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/b2b-backoffice/backoffice/adapters/netconn"
	"github.com/b2b-backoffice/backoffice/tools/benchstat"
)

type options struct {
	mode          string
	customersBase string
	ordersBase    string
	user, pass    string
	clients       int
	duration      time.Duration
	stock         int
	products      int
	readCustomers int
	wait          bool
	httpClient    string
	cpuProfile    string
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "flow", "flow, reads, contention or idempotency")
	flag.StringVar(&o.customersBase, "customers", "http://127.0.0.1:3001", "customers-api base URL")
	flag.StringVar(&o.ordersBase, "orders", "http://127.0.0.1:3002", "orders-api base URL")
	flag.StringVar(&o.user, "user", "admin", "login username")
	flag.StringVar(&o.pass, "password", "admin123", "login password")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long the flow mode runs")
	flag.IntVar(&o.stock, "stock", 50, "initial stock in contention mode")
	flag.IntVar(&o.products, "products", 64, "products the flow mode's orders pick 1 to 3 of at random (at least 21 in reads mode: a full page)")
	flag.IntVar(&o.readCustomers, "read-customers", 50, "customers the reads mode creates and reads at random")
	flag.StringVar(&o.httpClient, "http-client", "fasthttp", "fasthttp or net/http")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file (what the load costs the machine besides the services)")
	flag.BoolVar(&o.wait, "wait", false, "once set up, print "+benchstat.ReadyLine+" and wait for a line on stdin before the load")
	flag.Parse()
	stop := func() {}
	if o.cpuProfile != "" {
		var err error
		if stop, err = profileCPU(o.cpuProfile); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
	}
	err := run(context.Background(), o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// profileCPU starts a CPU profile into path; stop ends it.
func profileCPU(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func run(ctx context.Context, o options, out io.Writer) error {
	c, err := newClient(o.clients, o.httpClient)
	if err != nil {
		return err
	}
	if err := c.login(ctx, o.customersBase, o.user, o.pass); err != nil {
		return err
	}
	customerID, err := c.createCustomer(ctx, o.customersBase)
	if err != nil {
		return err
	}
	switch o.mode {
	case "flow":
		return flow(ctx, c, o, customerID, out)
	case "reads":
		return reads(ctx, c, o, out)
	case "contention":
		return contention(ctx, c, o, customerID, out)
	case "idempotency":
		return idempotencyMode(ctx, c, o, customerID, out)
	}
	return fmt.Errorf("unknown mode %q", o.mode)
}

// client sends the load's requests with keep-alive connections for every concurrent worker.
type client struct {
	send  func(ctx context.Context, method, url string, body []byte, headers map[string]string) (response, error)
	token string
	seq   atomic.Int64
}

const requestTimeout = 30 * time.Second

func newClient(conns int, kind string) (*client, error) {
	switch kind {
	case "fasthttp":
		// The connections are netconn's, as the services' and the ceiling's (sqlbench opens
		// its pool with adapters/mysql): every side's sockets make the same system calls.
		dial := netconn.DialFunc((&net.Dialer{Timeout: requestTimeout}).DialContext)
		fc := &fasthttp.Client{MaxConnsPerHost: conns * 2, ReadTimeout: requestTimeout, WriteTimeout: requestTimeout,
			Dial: func(addr string) (net.Conn, error) { return dial(context.Background(), "tcp", addr) }}
		return &client{send: func(_ context.Context, method, url string, body []byte, headers map[string]string) (response, error) {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.Header.SetMethod(method)
			req.SetRequestURI(url)
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			req.SetBody(body)
			if err := fc.DoTimeout(req, resp, requestTimeout); err != nil {
				return response{}, err
			}
			return response{status: resp.StatusCode(), body: append([]byte(nil), resp.Body()...),
				replayed: string(resp.Header.Peek("Idempotent-Replayed")) == "true"}, nil
		}}, nil
	case "net/http":
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = netconn.DialFunc((&net.Dialer{Timeout: requestTimeout, KeepAlive: 30 * time.Second}).DialContext)
		tr.MaxIdleConns = conns * 2
		tr.MaxIdleConnsPerHost = conns * 2
		hc := &http.Client{Transport: tr, Timeout: requestTimeout}
		return &client{send: func(ctx context.Context, method, url string, body []byte, headers map[string]string) (response, error) {
			req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
			if err != nil {
				return response{}, err
			}
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			resp, err := hc.Do(req)
			if err != nil {
				return response{}, err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return response{status: resp.StatusCode, body: b, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}, err
		}}, nil
	}
	return nil, fmt.Errorf("-http-client: %q is neither fasthttp nor net/http", kind)
}

type response struct {
	status   int
	body     []byte
	replayed bool
}

// do sends one request with the token and, when body is not nil, body as JSON.
func (c *client) do(ctx context.Context, method, url string, body any, headers map[string]string) (response, error) {
	all := map[string]string{"Content-Type": "application/json"}
	if c.token != "" {
		all["Authorization"] = "Bearer " + c.token
	}
	for k, v := range headers {
		all[k] = v
	}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return response{}, err
		}
	}
	return c.send(ctx, method, url, b, all)
}

func (c *client) login(ctx context.Context, base, user, pass string) error {
	r, err := c.do(ctx, http.MethodPost, base+"/auth/login", map[string]string{"username": user, "password": pass}, nil)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &tok) != nil || tok.AccessToken == "" {
		return fmt.Errorf("login: status %d: %s", r.status, r.body)
	}
	c.token = tok.AccessToken
	return nil
}

func dataID(r response, want int) (int64, error) {
	// The services write the object's id first: read it without decoding the whole answer
	// (the load tool's CPU is taken from the cores being measured).
	if r.status == want {
		if rest, ok := bytes.CutPrefix(r.body, []byte(`{"data":{"id":`)); ok {
			if end := bytes.IndexByte(rest, ','); end > 0 {
				if id, err := strconv.ParseInt(string(rest[:end]), 10, 64); err == nil && id > 0 {
					return id, nil
				}
			}
		}
	}
	var v struct {
		Data struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Stock  int    `json:"stock"`
		} `json:"data"`
	}
	if r.status != want || json.Unmarshal(r.body, &v) != nil || v.Data.ID == 0 {
		return 0, fmt.Errorf("status %d, want %d: %s", r.status, want, r.body)
	}
	return v.Data.ID, nil
}

func unique() string { return strconv.FormatInt(time.Now().UnixNano(), 36) }

func (c *client) createCustomer(ctx context.Context, base string) (int64, error) {
	u := unique()
	return c.create(ctx, "customer", base+"/customers", map[string]any{"name": "Bench " + u, "email": "bench-" + u + "@example.com"})
}

func (c *client) createProduct(ctx context.Context, base string, stock int) (int64, error) {
	u := unique()
	return c.create(ctx, "product", base+"/products", map[string]any{"sku": "BENCH-" + u, "name": "Bench " + u, "price_cents": 1999, "stock": stock})
}

// create POSTs body to url and returns the id of the created what.
func (c *client) create(ctx context.Context, what, url string, body any) (int64, error) {
	r, err := c.do(ctx, http.MethodPost, url, body, nil)
	if err == nil {
		var id int64
		if id, err = dataID(r, http.StatusCreated); err == nil {
			return id, nil
		}
	}
	return 0, fmt.Errorf("create %s: %w", what, err)
}

func (c *client) createOrder(ctx context.Context, base string, customerID int64, productIDs ...int64) (response, error) {
	body := append([]byte(`{"customer_id":`), strconv.FormatInt(customerID, 10)...)
	body = append(body, `,"items":[`...)
	for i, id := range productIDs {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"product_id":`...)
		body = strconv.AppendInt(body, id, 10)
		body = append(body, `,"qty":1}`...)
	}
	body = append(body, "]}"...)
	return c.do(ctx, http.MethodPost, base+"/orders", json.RawMessage(body), nil)
}

func (c *client) confirm(ctx context.Context, base string, orderID int64, key string) (response, error) {
	return c.do(ctx, http.MethodPost, fmt.Sprintf("%s/orders/%d/confirm", base, orderID), nil, map[string]string{"X-Idempotency-Key": key})
}

// want returns nil when r has the status wanted, else an error that wraps
// benchstat.ErrServer for a 5xx.
func want(what string, r response, status int) error {
	switch {
	case r.status == status:
		return nil
	case r.status >= 500:
		return fmt.Errorf("%s: %w: status %d: %s", what, benchstat.ErrServer, r.status, r.body)
	}
	return fmt.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
}

// createProducts creates n products with stock for any run.
func (c *client) createProducts(ctx context.Context, base string, n int) ([]int64, error) {
	ids := make([]int64, n)
	for i := range ids {
		id, err := c.createProduct(ctx, base, 2_000_000_000)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func start(o options, out io.Writer) error {
	if !o.wait {
		return nil
	}
	return benchstat.AwaitStart(os.Stdin, out)
}

func flow(ctx context.Context, c *client, o options, customerID int64, out io.Writer) error {
	productIDs, err := c.createProducts(ctx, o.ordersBase, max(o.products, 1))
	if err != nil {
		return err
	}
	if err := start(o, out); err != nil {
		return err
	}
	res := benchstat.Run(ctx, o.clients, o.duration, func(ctx context.Context, rng *rand.Rand, lat *benchstat.Latencies) error {
		return oneFlow(ctx, c, o.ordersBase, customerID, benchstat.PickProducts(rng, productIDs), lat)
	})
	return res.Report(out, "flow", fmt.Sprintf("products=%d", len(productIDs)))
}

func oneFlow(ctx context.Context, c *client, base string, customerID int64, productIDs []int64, lat *benchstat.Latencies) error {
	t0 := time.Now()
	r, err := c.createOrder(ctx, base, customerID, productIDs...)
	if err != nil {
		return err
	}
	lat.Add("create", time.Since(t0))
	if err := want("create order", r, http.StatusCreated); err != nil {
		return err
	}
	orderID, err := dataID(r, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	t1 := time.Now()
	r, err = c.confirm(ctx, base, orderID, fmt.Sprintf("bench-%d-%d", orderID, c.seq.Add(1)))
	if err != nil {
		return err
	}
	lat.Add("confirm", time.Since(t1))
	lat.Add("flow", time.Since(t0))
	return want("confirm", r, http.StatusOK)
}

// reads is the read mix: half a first page of products (orders-api), half one customer by
// id (customers-api), over rows it creates first.
func reads(ctx context.Context, c *client, o options, out io.Writer) error {
	if _, err := c.createProducts(ctx, o.ordersBase, max(o.products, 21)); err != nil {
		return err
	}
	customerIDs := make([]int64, max(o.readCustomers, 1))
	for i := range customerIDs {
		id, err := c.createCustomer(ctx, o.customersBase)
		if err != nil {
			return err
		}
		customerIDs[i] = id
	}
	if err := start(o, out); err != nil {
		return err
	}
	res := benchstat.Run(ctx, o.clients, o.duration, func(ctx context.Context, rng *rand.Rand, lat *benchstat.Latencies) error {
		kind, url := "products", o.ordersBase+"/products?limit=20"
		if rng.IntN(2) == 1 {
			kind, url = "customer", fmt.Sprintf("%s/customers/%d", o.customersBase, customerIDs[rng.IntN(len(customerIDs))])
		}
		t0 := time.Now()
		r, err := c.do(ctx, http.MethodGet, url, nil, nil)
		if err != nil {
			return err
		}
		d := time.Since(t0)
		lat.Add(kind, d)
		lat.Add("read", d)
		return want("GET "+url, r, http.StatusOK)
	})
	return res.Report(out, "reads", fmt.Sprintf("products=%d", max(o.products, 21)), fmt.Sprintf("customers=%d", len(customerIDs)))
}

func contention(ctx context.Context, c *client, o options, customerID int64, out io.Writer) error {
	productID, err := c.createProduct(ctx, o.ordersBase, o.stock)
	if err != nil {
		return err
	}
	var sold, refused, unexpected atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < o.clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				r, err := c.createOrder(ctx, o.ordersBase, customerID, productID)
				switch {
				case err != nil:
					unexpected.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				case r.status == http.StatusCreated:
					sold.Add(1)
				case r.status == http.StatusConflict && bytes.Contains(r.body, []byte(`"insufficient_stock"`)):
					refused.Add(1)
					return
				default:
					unexpected.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d: %s", r.status, r.body))
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	r, err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s/products/%d", o.ordersBase, productID), nil, nil)
	if err != nil {
		return err
	}
	var p struct {
		Data struct {
			Stock int64 `json:"stock"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		return fmt.Errorf("read product: %w", err)
	}
	ok := sold.Load() == int64(o.stock)-p.Data.Stock && p.Data.Stock >= 0 && unexpected.Load() == 0
	fmt.Fprintf(out, "BENCH mode=contention clients=%d stock=%d sold=%d remaining=%d refused=%d unexpected=%d result=%s\n",
		o.clients, o.stock, sold.Load(), p.Data.Stock, refused.Load(), unexpected.Load(), passFail(ok))
	if !ok {
		if e := firstErr.Load(); e != nil {
			fmt.Fprintln(out, "first unexpected answer:", e)
		}
		return errors.New("contention check failed: units sold != stock removed, or unexpected answers")
	}
	return nil
}

func idempotencyMode(ctx context.Context, c *client, o options, customerID int64, out io.Writer) error {
	productID, err := c.createProduct(ctx, o.ordersBase, 10)
	if err != nil {
		return err
	}
	r, err := c.createOrder(ctx, o.ordersBase, customerID, productID)
	if err != nil {
		return err
	}
	orderID, err := dataID(r, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	key := "bench-idem-" + unique()
	var (
		mu                         sync.Mutex
		fresh, replays, inProgress int
		other                      []string
		bodies                     = map[string]int{}
	)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < o.clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := c.confirm(ctx, o.ordersBase, orderID, key)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				other = append(other, err.Error())
			case r.status == http.StatusOK && r.replayed:
				replays++
				bodies[string(r.body)]++
			case r.status == http.StatusOK:
				fresh++
				bodies[string(r.body)]++
			case r.status == http.StatusConflict && bytes.Contains(r.body, []byte(`"idempotency_key_in_progress"`)):
				inProgress++
			default:
				other = append(other, fmt.Sprintf("status %d: %s", r.status, r.body))
			}
		}()
	}
	close(start)
	wg.Wait()
	ok := fresh == 1 && len(bodies) == 1 && len(other) == 0
	fmt.Fprintf(out, "BENCH mode=idempotency clients=%d transitions=%d replays=%d in_progress=%d distinct_bodies=%d unexpected=%d result=%s\n",
		o.clients, fresh, replays, inProgress, len(bodies), len(other), passFail(ok))
	if !ok {
		if len(other) > 0 {
			fmt.Fprintln(out, "first unexpected answer:", other[0])
		}
		return errors.New("idempotency check failed")
	}
	return nil
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
