package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

// heldChecks wraps a PasswordChecker: it records how many checks ran at once at most and
// holds each one until release is closed, reporting on events when one starts.
type heldChecks struct {
	inner   auth.PasswordChecker
	release chan struct{}
	events  chan string
	mu      sync.Mutex
	now     int
	most    int
}

func (h *heldChecks) Check(ctx context.Context, username, password string) bool {
	h.mu.Lock()
	h.now++
	h.most = max(h.most, h.now)
	h.mu.Unlock()
	h.events <- "checking"
	<-h.release
	ok := h.inner.Check(ctx, username, password)
	h.mu.Lock()
	h.now--
	h.mu.Unlock()
	return ok
}

// TestLoginFloodLeavesCustomerLookupsServed floods POST /auth/login with a fresh username
// per request from 40 goroutines, over a real HTTP server, while the password checks are
// held: at most CheckLimit.Concurrent of them ever run at once, the other logins are
// refused (429 with Retry-After) instead of queueing, and GET /internal/customers/{id}, the
// lookup every order creation makes, keeps answering 200 during the flood.
func TestLoginFloodLeavesCustomerLookupsServed(t *testing.T) {
	t.Parallel()
	const flood, slots, lookups = 40, 2, 20
	held := &heldChecks{release: make(chan struct{}), events: make(chan string, 2*flood)}
	api, srv := customersapitest.Start(t, customersapitest.Options{
		LoginChecks: auth.CheckLimit{Concurrent: slots, Wait: 20 * time.Millisecond},
		Passwords: func(inner auth.PasswordChecker) auth.PasswordChecker {
			held.inner = inner
			return held
		},
	})
	c := api.Seed(t, "ACME", "ops@acme.com", "")
	statuses := make(chan *http.Response, flood)
	for i := range flood {
		go func() {
			res, err := http.Post(srv.URL+"/auth/login", "application/json",
				strings.NewReader(fmt.Sprintf(`{"username":"flood-%d","password":"guess"}`, i)))
			if err != nil {
				t.Error(err)
				statuses <- nil
				held.events <- "answered"
				return
			}
			res.Body.Close()
			statuses <- res
			held.events <- "answered"
		}()
	}
	// Wait until the slots are taken and the flood is being turned away (or, without a
	// bound, more checks than slots have started).
	checking, answered := 0, 0
	for checking < slots || (answered == 0 && checking == slots) {
		switch <-held.events {
		case "checking":
			checking++
		case "answered":
			answered++
		}
	}
	for i := range lookups {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/internal/customers/"+strconv.FormatInt(c.ID(), 10), nil)
		req.Header.Set("Authorization", "Bearer "+api.Options.ServiceToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("lookup %d during the flood: got %d, want 200", i+1, res.StatusCode)
		}
	}
	close(held.release)
	refused := 0
	for range flood {
		res := <-statuses
		switch {
		case res == nil:
		case res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") != "":
			refused++
		case res.StatusCode != http.StatusUnauthorized:
			t.Errorf("flood login: got %d, want 401 or 429 with Retry-After", res.StatusCode)
		}
	}
	held.mu.Lock()
	most := held.most
	held.mu.Unlock()
	if most > slots || refused == 0 {
		t.Fatalf("got at most %d checks at once and %d logins refused, want at most %d at once and some refused", most, refused, slots)
	}
}
