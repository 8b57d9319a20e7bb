// Package repotest holds the contract suites that every implementation of an application
// port runs: the memory adapters in their unit tests and the MySQL adapters against a real
// server. One suite, two stores: they cannot drift apart unnoticed.
package repotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// RunCustomerRepository runs the customers.CustomerRepository contract. newRepo may return
// the same store to every test (a shared MySQL database): each test uses data of its own.
func RunCustomerRepository(t *testing.T, newRepo func(t *testing.T) customers.CustomerRepository) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, r customers.CustomerRepository)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"GetUnknown", testGetUnknown},
		{"EmailUniqueIgnoringCase", testEmailUniqueIgnoringCase},
		{"ConcurrentCreateSameEmail", testConcurrentCreateSameEmail},
		{"Update", testUpdate},
		{"UpdateToTakenEmail", testUpdateToTakenEmail},
		{"UpdateCallbackErrorChangesNothing", testUpdateCallbackError},
		{"UpdateUnknownOrDeleted", testUpdateUnknownOrDeleted},
		{"ConcurrentUpdatesToOneEmail", testConcurrentUpdatesToOneEmail},
		{"ConcurrentUpdatesOfOneCustomer", testConcurrentUpdatesOfOneCustomer},
		{"SoftDelete", testSoftDelete},
		{"SearchIsLiteralAndIgnoresCase", testSearchLiteral},
		{"PaginationBoundaries", testPaginationBoundaries},
		{"PaginationWhileInserting", testPaginationWhileInserting},
		{"GetSeesEarlierWrites", testGetSeesEarlierWrites},
		{"ConcurrentGetsOfManyCustomers", testConcurrentGetsOfManyCustomers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newRepo(t))
		})
	}
}

var repoNow = time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.UTC)

// token returns a random lower-case word for data that must not collide with other tests.
func token(t *testing.T) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b[:])
}

func newCustomer(t *testing.T, name, email, phone string) *customer.Customer {
	t.Helper()
	c, err := customer.NewCustomer(name, email, phone, repoNow)
	if err != nil {
		t.Fatalf("NewCustomer(%q, %q): %v", name, email, err)
	}
	return c
}

func create(t *testing.T, r customers.CustomerRepository, name, email, phone string) *customer.Customer {
	t.Helper()
	c, err := r.Create(t.Context(), newCustomer(t, name, email, phone))
	if err != nil {
		t.Fatalf("CreateCustomer(%q): %v", email, err)
	}
	return c
}

func assertSameCustomer(t *testing.T, got, want *customer.Customer) {
	t.Helper()
	if got.ID() != want.ID() || got.Name() != want.Name() || got.Email() != want.Email() || got.Phone() != want.Phone() ||
		!got.CreatedAt().Equal(want.CreatedAt()) || !got.UpdatedAt().Equal(want.UpdatedAt()) {
		t.Fatalf("got customer %s, want %s", describe(got), describe(want))
	}
}

func describe(c *customer.Customer) string {
	return fmt.Sprintf("{id:%d name:%q email:%q phone:%q created:%s updated:%s}", c.ID(), c.Name(), c.Email(), c.Phone(),
		c.CreatedAt().Format(time.RFC3339Nano), c.UpdatedAt().Format(time.RFC3339Nano))
}

func assertNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, customer.ErrNotFound) {
		t.Fatalf("got error %v, want customer.ErrNotFound", err)
	}
}

func testCreateThenGet(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	in := newCustomer(t, "ACME "+tok, "Ops@"+tok+".com", "+1 555 0100")
	got, err := r.Create(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() <= 0 {
		t.Fatalf("got id %d, want a positive id", got.ID())
	}
	snap := in.Snapshot()
	snap.ID = got.ID()
	want := customer.Rehydrate(snap)
	assertSameCustomer(t, got, want)
	loaded, err := r.Get(t.Context(), got.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameCustomer(t, loaded, want)
	if loaded.CreatedAt().Location() != time.UTC {
		t.Fatalf("got created_at in %v, want UTC", loaded.CreatedAt().Location())
	}

	noPhone := create(t, r, "No Phone", "nophone@"+tok+".com", "")
	loaded, err = r.Get(t.Context(), noPhone.ID())
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Phone() != "" {
		t.Fatalf("got phone %q, want none", loaded.Phone())
	}
	if noPhone.ID() == got.ID() {
		t.Fatalf("got the same id %d twice", got.ID())
	}
}

func testGetUnknown(t *testing.T, r customers.CustomerRepository) {
	_, err := r.Get(t.Context(), 1<<62)
	assertNotFound(t, err)
}

func testEmailUniqueIgnoringCase(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	first := create(t, r, "First", "sales@"+tok+".com", "")
	_, err := r.Create(t.Context(), newCustomer(t, "Second", "SALES@"+strings.ToUpper(tok)+".COM", ""))
	if !errors.Is(err, customer.ErrEmailTaken) {
		t.Fatalf("got error %v, want customer.ErrEmailTaken", err)
	}
	// The loser left nothing behind.
	page, err := listCustomers(t.Context(), r, customers.Filter{Search: "sales@" + tok}, paging.Request{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID() != first.ID() {
		t.Fatalf("got %d customers with the email, want only id %d", len(page.Items), first.ID())
	}
}

// mixCase returns s with letters upper-cased according to the bits of n.
func mixCase(s string, n int) string {
	b := []byte(s)
	for i := range b {
		if n&(1<<(i%20)) != 0 && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

func testConcurrentCreateSameEmail(t *testing.T, r customers.CustomerRepository) {
	const workers = 50
	tok := token(t)
	email := "race@" + tok + ".com"
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make(chan error, workers)
	for i := range workers {
		c := newCustomer(t, fmt.Sprintf("Racer %d", i), mixCase(email, i*7919), "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := r.Create(t.Context(), c)
			results <- err
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	wins := countWins(t, results, customer.ErrEmailTaken)
	if wins != 1 {
		t.Fatalf("got %d successful creations, want exactly 1", wins)
	}
	page, err := listCustomers(t.Context(), r, customers.Filter{Search: email}, paging.Request{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("got %d stored customers with the email, want 1", len(page.Items))
	}
}

func testUpdate(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	c := create(t, r, "Old", "old@"+tok+".com", "1")
	later := repoNow.Add(time.Hour)
	name, email, phone := "New", "New@"+tok+".com", ""
	got, err := r.Update(t.Context(), c.ID(), func(c *customer.Customer) error {
		return c.Update(customer.Changes{Name: &name, Email: &email, Phone: &phone}, later)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := customer.Rehydrate(customer.Snapshot{ID: c.ID(), Name: name, Email: email, CreatedAt: c.CreatedAt(), UpdatedAt: later})
	assertSameCustomer(t, got, want)
	loaded, err := r.Get(t.Context(), c.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameCustomer(t, loaded, want)

	// The old address is free again; changing only the case of one's own email is allowed.
	create(t, r, "Other", "old@"+tok+".com", "")
	upper := "NEW@" + strings.ToUpper(tok) + ".COM"
	got, err = r.Update(t.Context(), c.ID(), func(c *customer.Customer) error {
		return c.Update(customer.Changes{Email: &upper}, later)
	})
	if err != nil {
		t.Fatalf("changing the case of one's own email: got %v, want success", err)
	}
	if got.Email() != upper {
		t.Fatalf("got email %q, want %q", got.Email(), upper)
	}
}

func testUpdateToTakenEmail(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	a := create(t, r, "A", "a@"+tok+".com", "")
	b := create(t, r, "B", "b@"+tok+".com", "")
	taken := "A@" + strings.ToUpper(tok) + ".com"
	name := "B renamed"
	_, err := r.Update(t.Context(), b.ID(), func(c *customer.Customer) error {
		return c.Update(customer.Changes{Name: &name, Email: &taken}, repoNow.Add(time.Minute))
	})
	if !errors.Is(err, customer.ErrEmailTaken) {
		t.Fatalf("got error %v, want customer.ErrEmailTaken", err)
	}
	loaded, err := r.Get(t.Context(), b.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameCustomer(t, loaded, b)
	loaded, err = r.Get(t.Context(), a.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameCustomer(t, loaded, a)
}

func testUpdateCallbackError(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	c := create(t, r, "Keep", "keep@"+tok+".com", "")
	boom := errors.New("boom")
	_, err := r.Update(t.Context(), c.ID(), func(c *customer.Customer) error {
		name := "Changed"
		if err := c.Update(customer.Changes{Name: &name}, repoNow.Add(time.Minute)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got error %v, want the callback's error", err)
	}
	loaded, err := r.Get(t.Context(), c.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameCustomer(t, loaded, c)
}

func testUpdateUnknownOrDeleted(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	called := false
	fn := func(*customer.Customer) error { called = true; return nil }
	_, err := r.Update(t.Context(), 1<<62, fn)
	assertNotFound(t, err)
	c := create(t, r, "Gone", "gone@"+tok+".com", "")
	if err := r.Delete(t.Context(), c.ID(), repoNow); err != nil {
		t.Fatal(err)
	}
	_, err = r.Update(t.Context(), c.ID(), fn)
	assertNotFound(t, err)
	if called {
		t.Fatal("the callback ran for a missing customer")
	}
}

func testConcurrentUpdatesToOneEmail(t *testing.T, r customers.CustomerRepository) {
	const workers = 20
	tok := token(t)
	target := "wanted@" + tok + ".com"
	ids := make([]int64, workers)
	for i := range ids {
		ids[i] = create(t, r, "W", fmt.Sprintf("w%d@%s.com", i, tok), "").ID()
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make(chan error, workers)
	for i, id := range ids {
		email := mixCase(target, i*31)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := r.Update(t.Context(), id, func(c *customer.Customer) error {
				return c.Update(customer.Changes{Email: &email}, repoNow.Add(time.Minute))
			})
			results <- err
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	wins := countWins(t, results, customer.ErrEmailTaken)
	if wins != 1 {
		t.Fatalf("got %d customers moved to one email, want exactly 1", wins)
	}
}

func testConcurrentUpdatesOfOneCustomer(t *testing.T, r customers.CustomerRepository) {
	const workers = 20
	tok := token(t)
	c := create(t, r, "Base", "base@"+tok+".com", "")
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Update(t.Context(), c.ID(), func(c *customer.Customer) error {
				// Each writer appends to what it read: a lost update would drop a suffix.
				name := c.Name() + fmt.Sprintf(" %d", i)
				return c.Update(customer.Changes{Name: &name}, repoNow.Add(time.Minute))
			})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent update: %v", err)
		}
	}
	loaded, err := r.Get(t.Context(), c.ID())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Fields(strings.TrimPrefix(loaded.Name(), "Base"))
	seen := map[string]bool{}
	for _, p := range parts {
		seen[p] = true
	}
	if len(parts) != workers || len(seen) != workers {
		t.Fatalf("got name %q after %d serialized appends, want every writer's suffix exactly once", loaded.Name(), workers)
	}
}

func testSoftDelete(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	email := "del@" + tok + ".com"
	c := create(t, r, "Deleted "+tok, email, "")
	keep := create(t, r, "Kept "+tok, "kept@"+tok+".com", "")
	if err := r.Delete(t.Context(), c.ID(), repoNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err := r.Get(t.Context(), c.ID())
	assertNotFound(t, err)
	assertNotFound(t, r.Delete(t.Context(), c.ID(), repoNow.Add(2*time.Minute)))
	assertNotFound(t, r.Delete(t.Context(), 1<<62, repoNow))

	page, err := listCustomers(t.Context(), r, customers.Filter{Search: tok}, paging.Request{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID() != keep.ID() {
		t.Fatalf("got %d listed customers, want only the kept one (id %d)", len(page.Items), keep.ID())
	}

	// The address is free again, in any case, and gets a new customer.
	again := create(t, r, "Again", strings.ToUpper(email), "")
	if again.ID() == c.ID() {
		t.Fatalf("got the deleted customer's id %d back, want a new one", c.ID())
	}
	// A second deletion of the new one frees the address again: two deleted rows with one
	// email must not collide.
	if err := r.Delete(t.Context(), again.ID(), repoNow.Add(3*time.Minute)); err != nil {
		t.Fatalf("deleting a second customer with a deleted one's email: %v", err)
	}
	create(t, r, "Third", email, "")
}

func testSearchLiteral(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	names := map[string]*customer.Customer{}
	for i, n := range []string{"100% pure", "100x pure", "a_b", "axb", "O'Brien", `back\slash`, "backslash", `say "hi"`, "MiXeD CaSe"} {
		names[n] = create(t, r, tok+" "+n, fmt.Sprintf("s%d@%s.com", i, tok), "")
	}
	mail := create(t, r, "Mailer", "Findme.Here@"+tok+".org", "")
	for _, tt := range []struct {
		search string
		want   []*customer.Customer
	}{
		{tok + " 100%", []*customer.Customer{names["100% pure"]}},
		{tok + " a_b", []*customer.Customer{names["a_b"]}},
		{tok + " o'brien", []*customer.Customer{names["O'Brien"]}},
		{tok + ` back\s`, []*customer.Customer{names[`back\slash`]}},
		{tok + ` say "hi"`, []*customer.Customer{names[`say "hi"`]}},
		{strings.ToUpper(tok) + " mixed case", []*customer.Customer{names["MiXeD CaSe"]}},
		{"findme.here@" + strings.ToUpper(tok), []*customer.Customer{mail}},
		{tok + " %", nil},
		{tok + " _", nil},
		{tok + ` back\`, []*customer.Customer{names[`back\slash`]}},
		{tok + "nothing", nil},
	} {
		page, err := listCustomers(t.Context(), r, customers.Filter{Search: tt.search}, paging.Request{Limit: 100})
		if err != nil {
			t.Fatalf("search %q: %v", tt.search, err)
		}
		if got, want := ids(page.Items), ids(tt.want); !slices.Equal(got, want) {
			t.Errorf("search %q: got ids %v, want %v", tt.search, got, want)
		}
	}
	n := 0
	testCollationTraps(t, tok, func(name string) int64 {
		n++
		return create(t, r, name, fmt.Sprintf("trap%d@%s.com", n, tok), "").ID()
	}, func(term string) []int64 {
		page, err := listCustomers(t.Context(), r, customers.Filter{Search: term}, paging.Request{Limit: 100})
		if err != nil {
			t.Fatalf("search %q: %v", term, err)
		}
		return ids(page.Items)
	})
}

func ids(cs []*customer.Customer) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID())
	}
	return out
}

func testPaginationBoundaries(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	var all []*customer.Customer
	for i := range 3 {
		all = append(all, create(t, r, tok, fmt.Sprintf("p%d@%s.com", i, tok), ""))
	}
	f := customers.Filter{Search: tok}
	page, err := listCustomers(t.Context(), r, f, paging.Request{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(page.Items), ids(all)) || page.HasMore {
		t.Fatalf("limit 3 of 3: got ids %v has_more %v, want %v and false", ids(page.Items), page.HasMore, ids(all))
	}
	page, err = listCustomers(t.Context(), r, f, paging.Request{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(page.Items), ids(all[:2])) || !page.HasMore || page.Next != all[1].ID() {
		t.Fatalf("limit 2 of 3: got ids %v has_more %v next %d, want %v, true, %d", ids(page.Items), page.HasMore, page.Next, ids(all[:2]), all[1].ID())
	}
	page, err = listCustomers(t.Context(), r, f, paging.Request{Limit: 2, After: page.Next})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(page.Items), ids(all[2:])) || page.HasMore {
		t.Fatalf("second page: got ids %v has_more %v, want %v and false", ids(page.Items), page.HasMore, ids(all[2:]))
	}
	page, err = listCustomers(t.Context(), r, f, paging.Request{Limit: 2, After: all[2].ID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 || page.Items == nil || page.HasMore {
		t.Fatalf("past the end: got %v (nil %v) has_more %v, want an empty non-nil page", ids(page.Items), page.Items == nil, page.HasMore)
	}
	page, err = listCustomers(t.Context(), r, customers.Filter{}, paging.Request{Limit: 2, After: math.MaxInt64})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 || page.HasMore {
		t.Fatalf("after the largest id: got %v has_more %v, want an empty page", ids(page.Items), page.HasMore)
	}
}

func testPaginationWhileInserting(t *testing.T, r customers.CustomerRepository) {
	const before, during, limit = 25, 20, 4
	tok := token(t)
	var initial []*customer.Customer
	for i := range before {
		initial = append(initial, create(t, r, tok+" first", fmt.Sprintf("i%d@%s.com", i, tok), ""))
	}
	// A deleted customer in the middle must simply be skipped.
	if err := r.Delete(t.Context(), initial[10].ID(), repoNow); err != nil {
		t.Fatal(err)
	}
	initial = append(initial[:10], initial[11:]...)

	var wg sync.WaitGroup
	wg.Add(1)
	defer wg.Wait() // also when a check below ends the test: the inserts report to a live t
	go func() {
		defer wg.Done()
		for i := range during {
			if _, err := r.Create(t.Context(), newCustomer(t, tok+" later", fmt.Sprintf("d%d@%s.com", i, tok), "")); err != nil {
				t.Errorf("insert during pagination: %v", err)
				return
			}
		}
	}()
	seen := map[int64]int{}
	var last int64
	req := paging.Request{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > before+during {
			t.Fatal("pagination does not end")
		}
		page, err := listCustomers(t.Context(), r, customers.Filter{Search: tok}, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > limit {
			t.Fatalf("got %d items, want at most %d", len(page.Items), limit)
		}
		for _, c := range page.Items {
			if c.ID() <= last {
				t.Fatalf("got id %d after %d, want ascending ids", c.ID(), last)
			}
			last = c.ID()
			seen[c.ID()]++
		}
		if !page.HasMore {
			break
		}
		if page.Next != last {
			t.Fatalf("got next %d, want the last id of the page %d", page.Next, last)
		}
		req.After = page.Next
	}
	wg.Wait()
	for _, c := range initial {
		if seen[c.ID()] != 1 {
			t.Errorf("customer %d listed %d times, want exactly once", c.ID(), seen[c.ID()])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("customer %d listed %d times", id, n)
		}
	}
}

// listCustomers asks r for one page as the use case does: up to req.Limit+1 customers, cut
// into a page by paging.Cut.
func listCustomers(ctx context.Context, r customers.CustomerRepository, f customers.Filter, req paging.Request) (paging.Page[*customer.Customer], error) {
	items, err := r.List(ctx, f, req)
	if err != nil {
		return paging.Page[*customer.Customer]{}, err
	}
	if len(items) > req.Limit+1 {
		return paging.Page[*customer.Customer]{}, fmt.Errorf("List(limit %d) returned %d customers, want at most %d", req.Limit, len(items), req.Limit+1)
	}
	return paging.Cut(items, req, (*customer.Customer).ID), nil
}
