package orchestration_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// fakeCustomers is a hand fake of customers-api.
type fakeCustomers struct {
	mu    sync.Mutex
	known map[int64]orchestration.Customer
	err   error
	calls int
}

func (f *fakeCustomers) GetCustomer(_ context.Context, id int64) (orchestration.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return orchestration.Customer{}, f.err
	}
	c, ok := f.known[id]
	if !ok {
		return orchestration.Customer{}, fmt.Errorf("customer %d: %w", id, customer.ErrNotFound)
	}
	return c, nil
}

var errReused = errs.New(errs.KindUnprocessable, "idempotency_key_reused", "key reused")

// fakeOrders imitates orders-api's idempotency: a create key replays the order created the
// first time for the same request (422 for another), a confirm key replays the confirmation.
type fakeOrders struct {
	mu          sync.Mutex
	nextID      int64
	byCreateKey map[string]createRecord
	orders      map[int64]*orchestration.Order
	creates     int // orders actually created
	confirms    int // state changes
	tokens      []string
	createErr   error
	confirmErrs []error // popped one per confirm call
}

type createRecord struct {
	req orchestration.CreateOrderRequest
	id  int64
}

func newFakeOrders() *fakeOrders {
	return &fakeOrders{nextID: 100, byCreateKey: map[string]createRecord{}, orders: map[int64]*orchestration.Order{}}
}

func (f *fakeOrders) CreateOrder(_ context.Context, token string, req orchestration.CreateOrderRequest, key string) (orchestration.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, token)
	if f.createErr != nil {
		return orchestration.Order{}, f.createErr
	}
	if rec, ok := f.byCreateKey[key]; ok {
		if !reflect.DeepEqual(rec.req, req) {
			return orchestration.Order{}, errReused
		}
		o := *f.orders[rec.id]
		o.Status = "CREATED" // the replayed first answer
		return o, nil
	}
	f.nextID++
	f.creates++
	o := &orchestration.Order{ID: f.nextID, CustomerID: req.CustomerID, Status: "CREATED"}
	for _, l := range req.Items {
		o.Items = append(o.Items, orchestration.OrderItem{ProductID: l.ProductID, Qty: l.Qty, UnitPriceCents: 100, SubtotalCents: 100 * l.Qty})
		o.TotalCents += 100 * l.Qty
	}
	f.orders[o.ID] = o
	f.byCreateKey[key] = createRecord{req: req, id: o.ID}
	return *o, nil
}

func (f *fakeOrders) ConfirmOrder(_ context.Context, token string, id int64, key string) (orchestration.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, token)
	if len(f.confirmErrs) > 0 {
		err := f.confirmErrs[0]
		f.confirmErrs = f.confirmErrs[1:]
		return orchestration.Order{}, err
	}
	o, ok := f.orders[id]
	if !ok {
		return orchestration.Order{}, errs.New(errs.KindNotFound, "order_not_found", "no order")
	}
	if o.Status != "CONFIRMED" {
		o.Status = "CONFIRMED"
		f.confirms++
	}
	return *o, nil
}

// fakeAnswers imitates orders-api's stored answers: the first answer of a key stays, another
// fingerprint is 422.
type fakeAnswers struct {
	mu      sync.Mutex
	stored  map[string]orchestration.StoredAnswer
	getErr  error
	saveErr error
	// beforeSave, when set, runs at the start of SaveAnswer (a concurrent run saving first).
	beforeSave func(f *fakeAnswers, key string, a orchestration.StoredAnswer)
	gets       int
}

func (f *fakeAnswers) Answer(_ context.Context, key string) (orchestration.StoredAnswer, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.getErr != nil {
		return orchestration.StoredAnswer{}, false, f.getErr
	}
	a, ok := f.stored[key]
	return a, ok, nil
}

func (f *fakeAnswers) SaveAnswer(_ context.Context, key string, a orchestration.StoredAnswer) (orchestration.StoredAnswer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.beforeSave != nil {
		f.beforeSave(f, key, a)
	}
	if f.saveErr != nil {
		return orchestration.StoredAnswer{}, f.saveErr
	}
	if cur, ok := f.stored[key]; ok {
		if cur.Fingerprint != a.Fingerprint {
			return orchestration.StoredAnswer{}, errReused
		}
		return cur, nil
	}
	f.stored[key] = a
	return a, nil
}

var acme = orchestration.Customer{ID: 1, Name: "ACME", Email: "ops@acme.com"}

func setup() (*orchestration.Service, *fakeCustomers, *fakeOrders) {
	svc, cs, os, _ := setupWithAnswers()
	return svc, cs, os
}

func setupWithAnswers() (*orchestration.Service, *fakeCustomers, *fakeOrders, *fakeAnswers) {
	cs := &fakeCustomers{known: map[int64]orchestration.Customer{1: acme}}
	os := newFakeOrders()
	as := &fakeAnswers{stored: map[string]orchestration.StoredAnswer{}}
	return orchestration.NewService(cs, os, as), cs, os, as
}

// encodes counts the encoder's calls: every body it writes is new, so equal bodies prove a
// stored answer was replayed byte for byte.
var encodes atomic.Int64

func encode(r orchestration.Result) ([]byte, error) {
	return fmt.Appendf(nil, "%+v #%d", r, encodes.Add(1)), nil
}

func cmd(key string) orchestration.CreateAndConfirm {
	return orchestration.CreateAndConfirm{Token: "jwt", CustomerID: 1, IdempotencyKey: key,
		Items: []orchestration.OrderLine{{ProductID: 2, Qty: 3}}, Encode: encode}
}

func TestCreateAndConfirm(t *testing.T) {
	t.Parallel()
	svc, _, orders, answers := setupWithAnswers()
	out, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil {
		t.Fatalf("CreateAndConfirm: %v", err)
	}
	want := orchestration.Result{Customer: acme, Order: orchestration.Order{ID: 101, CustomerID: 1, Status: "CONFIRMED", TotalCents: 300,
		Items: []orchestration.OrderItem{{ProductID: 2, Qty: 3, UnitPriceCents: 100, SubtotalCents: 300}}}}
	if out.Result == nil || !reflect.DeepEqual(*out.Result, want) || out.Replayed || out.NotSaved != nil {
		t.Fatalf("got %+v, want result %+v, a first run, saved", out, want)
	}
	stored := answers.stored[orchestration.AnswerKey("k1")]
	if !bytes.Equal(stored.Body, out.Body) || len(stored.Fingerprint) != 64 {
		t.Fatalf("got stored answer %+v, want the body answered %q", stored, out.Body)
	}
	if !reflect.DeepEqual(orders.tokens, []string{"jwt", "jwt"}) {
		t.Errorf("got tokens %v, want the caller's token passed on twice", orders.tokens)
	}
}

func TestSameKeyAgainIsTheSameOrder(t *testing.T) {
	t.Parallel()
	svc, _, orders := setup()
	first, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Body, second.Body) || !second.Replayed || second.Result != nil {
		t.Fatalf("got %q then %+v, want the stored body replayed", first.Body, second)
	}
	if orders.creates != 1 || orders.confirms != 1 {
		t.Fatalf("got %d creates and %d confirmations, want 1 and 1", orders.creates, orders.confirms)
	}
	other, err := svc.CreateAndConfirm(context.Background(), cmd("k2"))
	if err != nil || other.Result == nil || other.Result.Order.ID == first.Result.Order.ID {
		t.Fatalf("got %+v, %v; want a new order for a new key", other, err)
	}
}

func TestSameKeyOtherBodyIsReused(t *testing.T) {
	t.Parallel()
	svc, _, _ := setup()
	if _, err := svc.CreateAndConfirm(context.Background(), cmd("k1")); err != nil {
		t.Fatal(err)
	}
	c := cmd("k1")
	c.Items[0].Qty = 4
	_, err := svc.CreateAndConfirm(context.Background(), c)
	if !errors.Is(err, idempotency.ErrKeyReused) {
		t.Fatalf("got %v, want idempotency_key_reused", err)
	}
}

func TestRetryAfterFailedConfirmCompletesTheSameOrder(t *testing.T) {
	t.Parallel()
	svc, _, orders := setup()
	timeout := errs.New(errs.KindUnavailable, "upstream_timeout", "orders-api did not answer in time")
	orders.confirmErrs = []error{timeout}
	_, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if errs.KindOf(err) != errs.KindUnavailable || !errors.Is(err, timeout) {
		t.Fatalf("got %v, want the confirm timeout", err)
	}
	out, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res := out.Result; res == nil || res.Order.ID != 101 || res.Order.Status != "CONFIRMED" || orders.creates != 1 {
		t.Fatalf("got %+v after %d creates, want order 101 CONFIRMED after 1", out, orders.creates)
	}
}

func TestCustomerErrorsStopTheFlow(t *testing.T) {
	t.Parallel()
	svc, _, orders := setup()
	c := cmd("k1")
	c.CustomerID = 99
	_, err := svc.CreateAndConfirm(context.Background(), c)
	if !errors.Is(err, customer.ErrNotFound) {
		t.Fatalf("got %v, want customer.ErrNotFound", err)
	}
	svc2, cs2, orders2 := setup()
	cs2.err = errs.New(errs.KindUnavailable, "bad_gateway", "customers-api could not be reached")
	_, err = svc2.CreateAndConfirm(context.Background(), cmd("k1"))
	if errs.KindOf(err) != errs.KindUnavailable {
		t.Fatalf("got %v, want bad gateway", err)
	}
	if len(orders.tokens)+len(orders2.tokens) != 0 {
		t.Fatal("orders-api was called although the customer check failed")
	}
}

func TestCreateErrorStopsBeforeConfirm(t *testing.T) {
	t.Parallel()
	svc, _, orders := setup()
	orders.createErr = errs.New(errs.KindConflict, "insufficient_stock", "not enough stock")
	_, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got %v, want insufficient_stock", err)
	}
	if len(orders.tokens) != 1 {
		t.Fatalf("got %d orders-api calls, want only the create", len(orders.tokens))
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	many := make([]orchestration.OrderLine, orchestration.MaxLines+1)
	for i := range many {
		many[i] = orchestration.OrderLine{ProductID: int64(i + 1), Qty: 1}
	}
	cases := map[string]func(*orchestration.CreateAndConfirm){
		"customer 0":      func(c *orchestration.CreateAndConfirm) { c.CustomerID = 0 },
		"negative cust":   func(c *orchestration.CreateAndConfirm) { c.CustomerID = -1 },
		"no items":        func(c *orchestration.CreateAndConfirm) { c.Items = nil },
		"too many items":  func(c *orchestration.CreateAndConfirm) { c.Items = many },
		"product 0":       func(c *orchestration.CreateAndConfirm) { c.Items[0].ProductID = 0 },
		"qty 0":           func(c *orchestration.CreateAndConfirm) { c.Items[0].Qty = 0 },
		"empty key":       func(c *orchestration.CreateAndConfirm) { c.IdempotencyKey = "" },
		"key too long":    func(c *orchestration.CreateAndConfirm) { c.IdempotencyKey = strings.Repeat("k", 256) },
		"key control chr": func(c *orchestration.CreateAndConfirm) { c.IdempotencyKey = "a\nb" },
		"key non ascii":   func(c *orchestration.CreateAndConfirm) { c.IdempotencyKey = "clé" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			svc, cs, orders, answers := setupWithAnswers()
			c := cmd("k")
			mod(&c)
			_, err := svc.CreateAndConfirm(context.Background(), c)
			if errs.KindOf(err) != errs.KindInvalid {
				t.Fatalf("got %v, want KindInvalid", err)
			}
			if strings.Contains(name, "key") {
				want := idempotency.ErrInvalidKey
				if c.IdempotencyKey == "" {
					want = idempotency.ErrKeyRequired
				}
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want.Code())
				}
			}
			if cs.calls != 0 || len(orders.tokens) != 0 || answers.gets != 0 {
				t.Fatal("a remote service was called for an invalid command")
			}
		})
	}
	svc, _, _ := setup()
	c := cmd(strings.Repeat("k", 255))
	c.Items = many[:orchestration.MaxLines]
	if _, err := svc.CreateAndConfirm(context.Background(), c); err != nil {
		t.Fatalf("got %v for the largest valid command, want success", err)
	}
}

func TestDerivedKeys(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 255)
	keys := map[string]bool{}
	for _, k := range []string{"a", "b", long} {
		for _, d := range []string{orchestration.CreateKey(k), orchestration.ConfirmKey(k)} {
			if keys[d] {
				t.Fatalf("derived key %q repeats", d)
			}
			keys[d] = true
			if _, err := idempotency.ParseKey(d); err != nil {
				t.Fatalf("derived key %q is not a valid orders-api key: %v", d, err)
			}
		}
	}
	if orchestration.CreateKey("a") != orchestration.CreateKey("a") {
		t.Fatal("derived keys are not deterministic")
	}
}

// A completed key answers its stored body, byte for byte, without asking customers-api or
// orders-api again: after the customer is deleted, and with customers-api down.
func TestRetryAnswersTheStoredBodyWhateverHappenedToTheCustomer(t *testing.T) {
	t.Parallel()
	for name, gone := range map[string]func(*fakeCustomers){
		"customer deleted":   func(cs *fakeCustomers) { delete(cs.known, 1) },
		"customers-api down": func(cs *fakeCustomers) { cs.err = errs.New(errs.KindUnavailable, "bad_gateway", "down") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			svc, cs, orders := setup()
			first, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
			if err != nil {
				t.Fatal(err)
			}
			gone(cs)
			calls, ordersCalls := cs.calls, len(orders.tokens)
			again, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
			if err != nil || !again.Replayed || !bytes.Equal(again.Body, first.Body) {
				t.Fatalf("retry: got %+v, %v, want the first body %q replayed", again, err, first.Body)
			}
			if cs.calls != calls || len(orders.tokens) != ordersCalls {
				t.Fatal("the retry of a completed key called customers-api or orders-api")
			}
			// A new key still meets the customer check.
			if _, err := svc.CreateAndConfirm(context.Background(), cmd("k2")); err == nil {
				t.Fatal("a new key succeeded without a customer")
			}
		})
	}
}

// The stored answer is the request's, whatever order its lines come in; another request under
// the key is 422 before anything is called.
func TestStoredAnswerFingerprint(t *testing.T) {
	t.Parallel()
	svc, cs, orders := setup()
	c := cmd("k1")
	c.Items = []orchestration.OrderLine{{ProductID: 2, Qty: 1}, {ProductID: 5, Qty: 1}, {ProductID: 2, Qty: 2}}
	first, err := svc.CreateAndConfirm(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	same := c
	same.Items = []orchestration.OrderLine{{ProductID: 5, Qty: 1}, {ProductID: 2, Qty: 3}}
	again, err := svc.CreateAndConfirm(context.Background(), same)
	if err != nil || !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("same order written differently: got %+v, %v, want the stored body", again, err)
	}
	calls, ordersCalls := cs.calls, len(orders.tokens)
	for name, mod := range map[string]func(*orchestration.CreateAndConfirm){
		"another qty": func(c *orchestration.CreateAndConfirm) {
			c.Items = []orchestration.OrderLine{{ProductID: 5, Qty: 1}, {ProductID: 2, Qty: 4}}
		},
		"a line less":      func(c *orchestration.CreateAndConfirm) { c.Items = []orchestration.OrderLine{{ProductID: 2, Qty: 3}} },
		"another customer": func(c *orchestration.CreateAndConfirm) { c.CustomerID = 7 },
		"qty overflowing": func(c *orchestration.CreateAndConfirm) {
			c.Items = []orchestration.OrderLine{{ProductID: 5, Qty: 1}, {ProductID: 2, Qty: 1<<63 - 1}, {ProductID: 2, Qty: 1<<63 - 1}, {ProductID: 2, Qty: 5}}
		},
	} {
		other := same
		mod(&other)
		if _, err := svc.CreateAndConfirm(context.Background(), other); !errors.Is(err, idempotency.ErrKeyReused) {
			t.Errorf("%s: got %v, want idempotency_key_reused", name, err)
		}
	}
	if cs.calls != calls || len(orders.tokens) != ordersCalls {
		t.Fatal("a reused key called customers-api or orders-api")
	}
}

// orders-api cannot be asked about the key: the error, and nothing else is called.
func TestAnswerLookupFailureStops(t *testing.T) {
	t.Parallel()
	svc, cs, orders, answers := setupWithAnswers()
	answers.getErr = errs.New(errs.KindUnavailable, "database_unavailable", "the database is unavailable")
	_, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if !errors.Is(err, answers.getErr) {
		t.Fatalf("got %v, want the look-up's error", err)
	}
	if cs.calls != 0 || len(orders.tokens) != 0 {
		t.Fatal("the flow ran although the key could not be looked up")
	}
}

// The answer could not be stored: it is answered all the same, with the reason, and a retry
// rebuilds the same order through orders-api's keys and stores it then.
func TestAnswerNotSavedStillAnswers(t *testing.T) {
	t.Parallel()
	svc, _, orders, answers := setupWithAnswers()
	answers.saveErr = errs.New(errs.KindUnavailable, "upstream_timeout", "orders-api did not answer in time")
	first, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil || first.Result == nil || len(first.Body) == 0 || !errors.Is(first.NotSaved, answers.saveErr) {
		t.Fatalf("got %+v, %v, want the answer with NotSaved set", first, err)
	}
	answers.saveErr = nil
	again, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil || again.Result == nil || !reflect.DeepEqual(*again.Result, *first.Result) || again.NotSaved != nil {
		t.Fatalf("retry: got %+v, %v, want the same result, stored", again, err)
	}
	if orders.creates != 1 || orders.confirms != 1 {
		t.Fatalf("got %d creates and %d confirmations, want 1 and 1", orders.creates, orders.confirms)
	}
	if stored := answers.stored[orchestration.AnswerKey("k1")]; !bytes.Equal(stored.Body, again.Body) {
		t.Fatalf("got stored %q, want %q", stored.Body, again.Body)
	}
}

// Two runs of one key both finish: the answer stored first is the one both answer.
func TestConcurrentRunAnswersTheAnswerSavedFirst(t *testing.T) {
	t.Parallel()
	svc, _, _, answers := setupWithAnswers()
	earlier := []byte("the answer a concurrent run saved first")
	answers.beforeSave = func(f *fakeAnswers, key string, a orchestration.StoredAnswer) {
		f.stored[key] = orchestration.StoredAnswer{Fingerprint: a.Fingerprint, Body: earlier}
	}
	out, err := svc.CreateAndConfirm(context.Background(), cmd("k1"))
	if err != nil || !bytes.Equal(out.Body, earlier) || !out.Replayed {
		t.Fatalf("got %+v, %v, want the answer saved first", out, err)
	}
	// The earlier answer is another request's: 422, as orders-api says.
	svc, _, _, answers = setupWithAnswers()
	answers.beforeSave = func(f *fakeAnswers, key string, _ orchestration.StoredAnswer) {
		f.stored[key] = orchestration.StoredAnswer{Fingerprint: idempotency.Fingerprint("other"), Body: earlier}
	}
	if _, err := svc.CreateAndConfirm(context.Background(), cmd("k1")); !errors.Is(err, errReused) {
		t.Fatalf("got %v, want idempotency_key_reused", err)
	}
}
