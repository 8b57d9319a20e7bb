package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

// gatedChecker is a PasswordChecker that counts its calls and the most that ran at once, and
// holds each call until release is closed (a nil release holds nothing).
type gatedChecker struct {
	mu       sync.Mutex
	calls    map[string]int // per username
	inFlight int
	most     int
	entered  chan struct{}
	release  chan struct{}
}

func newGatedChecker(release chan struct{}) *gatedChecker {
	return &gatedChecker{calls: map[string]int{}, entered: make(chan struct{}, 1000), release: release}
}

func (g *gatedChecker) Check(_ context.Context, username, password string) bool {
	g.mu.Lock()
	g.calls[username]++
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	g.mu.Unlock()
	g.entered <- struct{}{}
	if g.release != nil {
		<-g.release
	}
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	return username == "admin" && password == "admin123"
}

func (g *gatedChecker) stats() (calls map[string]int, most int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]int{}
	for k, v := range g.calls {
		out[k] = v
	}
	return out, g.most
}

func newGatedLogin(t *testing.T, g *gatedChecker, limit auth.CheckLimit) *auth.Service {
	t.Helper()
	tokens, err := jwt.NewTokens(jwt.Secret("0123456789abcdef0123"), jwt.Issuer("customers-api"), jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewService(memory.NewAttemptLimiter(auth.DefaultAttemptPolicy(), 0), g, tokens,
		func() time.Time { return time.Now().UTC() }, limit)
}

// TestLoginBoundsConcurrentChecks: 30 logins with distinct usernames from distinct addresses
// (nothing for the limiter to block) never run more than CheckLimit.Concurrent checks at
// once, and each still gets its answer once slots free.
func TestLoginBoundsConcurrentChecks(t *testing.T) {
	t.Parallel()
	const flood, slots = 30, 3
	release := make(chan struct{})
	g := newGatedChecker(release)
	login := newGatedLogin(t, g, auth.CheckLimit{Concurrent: slots, Wait: time.Hour})
	errs := make(chan error, flood)
	for i := range flood {
		go func() {
			_, err := login.Login(context.Background(), auth.Login{
				Username: fmt.Sprint("flood-", i), Password: "x", Address: fmt.Sprint("10.1.0.", i)})
			errs <- err
		}()
	}
	for range slots {
		<-g.entered
	}
	close(release)
	for range flood {
		if err := <-errs; !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("got %v, want invalid credentials", err)
		}
	}
	calls, most := g.stats()
	if most != slots || len(calls) != flood {
		t.Fatalf("got at most %d checks at once over %d usernames, want %d at once over %d", most, len(calls), slots, flood)
	}
}

// TestLoginRefusesWhenNoSlotFrees: with every slot held, a login waits CheckLimit.Wait and
// is refused with 429 and Retry-After 1 s, without checking a password or counting a failure.
func TestLoginRefusesWhenNoSlotFrees(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	g := newGatedChecker(release)
	login := newGatedLogin(t, g, auth.CheckLimit{Concurrent: 1, Wait: time.Millisecond})
	held := make(chan error, 1)
	go func() {
		_, err := login.Login(context.Background(), auth.Login{Username: "admin", Password: "admin123", Address: "10.2.0.1"})
		held <- err
	}()
	<-g.entered
	_, err := login.Login(context.Background(), auth.Login{Username: "other", Password: "x", Address: "10.2.0.2"})
	var tooMany *auth.TooManyAttemptsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfterSeconds() != 1 {
		t.Fatalf("with every slot taken: got %v, want too many attempts with Retry-After 1", err)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("the held login: got %v, want success", err)
	}
	if calls, _ := g.stats(); calls["other"] != 0 {
		t.Fatalf("the refused login was checked %d times, want 0", calls["other"])
	}
	// Nothing was counted against the refused pair: five real failures still pass.
	for i := range 5 {
		if _, err := login.Login(context.Background(), auth.Login{Username: "other", Password: "x", Address: "10.2.0.2"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("failure %d: got %v, want invalid credentials", i+1, err)
		}
	}
}

// TestLoginUnknownUserAndWrongPasswordCostOneCheckEach: both go through exactly one password
// check (the bcrypt checker then does one comparison at one cost, see adapters/bcrypt), so
// neither the answer nor the work tells whether the user exists.
func TestLoginUnknownUserAndWrongPasswordCostOneCheckEach(t *testing.T) {
	t.Parallel()
	g := newGatedChecker(nil)
	login := newGatedLogin(t, g, auth.CheckLimit{Concurrent: 1, Wait: time.Hour})
	for _, user := range []string{"admin", "nobody"} {
		if _, err := login.Login(context.Background(), auth.Login{Username: user, Password: "wrong", Address: "10.3.0.1"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("%s: got %v, want invalid credentials", user, err)
		}
	}
	if calls, _ := g.stats(); calls["admin"] != 1 || calls["nobody"] != 1 {
		t.Fatalf("got checks %v, want one for the wrong password and one for the unknown user", calls)
	}
}

// TestLoginBlocksAnAddressAfterTwentyFailures: a new username per attempt does not give an
// address more than 20 checks a minute; the 21st is refused before any check, another
// address is not.
func TestLoginBlocksAnAddressAfterTwentyFailures(t *testing.T) {
	t.Parallel()
	g := newGatedChecker(nil)
	login := newGatedLogin(t, g, auth.CheckLimit{Concurrent: 1, Wait: time.Hour})
	for i := range 20 {
		if _, err := login.Login(context.Background(), auth.Login{Username: fmt.Sprint("guess-", i), Password: "x", Address: "10.4.0.1"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("failure %d: got %v, want invalid credentials", i+1, err)
		}
	}
	_, err := login.Login(context.Background(), auth.Login{Username: "admin", Password: "admin123", Address: "10.4.0.1"})
	var tooMany *auth.TooManyAttemptsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfterSeconds() < 1 {
		t.Fatalf("21st attempt from the address: got %v, want too many attempts with Retry-After", err)
	}
	if calls, _ := g.stats(); len(calls) != 20 || calls["admin"] != 0 {
		t.Fatalf("got checks %v, want the 20 guesses only", calls)
	}
	if _, err := login.Login(context.Background(), auth.Login{Username: "admin", Password: "admin123", Address: "10.4.0.2"}); err != nil {
		t.Fatalf("another address: got %v, want success", err)
	}
}
