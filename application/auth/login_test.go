package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/bcrypt"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLogin(t *testing.T) (*auth.Service, *jwt.Tokens, *clock) {
	t.Helper()
	checker, err := bcrypt.NewPasswordChecker("admin", "admin123", bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := jwt.NewTokens(jwt.Secret("0123456789abcdef0123"), jwt.Issuer("customers-api"), jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now().UTC()}
	return auth.NewService(memory.NewAttemptLimiter(auth.DefaultAttemptPolicy(), 0), checker, tokens, clk.Now,
		auth.CheckLimit{Concurrent: 2, Wait: time.Second}), tokens, clk
}

func TestLoginIssuesAVerifiableToken(t *testing.T) {
	t.Parallel()
	login, tokens, _ := newLogin(t)
	tok, err := login.Login(context.Background(), auth.Login{Username: "admin", Password: "admin123", Address: "1.2.3.4"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != time.Hour {
		t.Fatalf("got expires in %v, want 1h", tok.ExpiresIn)
	}
	sub, err := tokens.Verify(tok.Value)
	if err != nil || sub != "admin" {
		t.Fatalf("got subject %q error %v, want admin", sub, err)
	}
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cmd  auth.Login
		want error
		kind errs.Kind
	}{
		{"missing username", auth.Login{Password: "x"}, nil, errs.KindInvalid},
		{"missing password", auth.Login{Username: "admin"}, nil, errs.KindInvalid},
		{"wrong password", auth.Login{Username: "admin", Password: "nope"}, auth.ErrInvalidCredentials, errs.KindUnauthorized},
		{"unknown user", auth.Login{Username: "root", Password: "admin123"}, auth.ErrInvalidCredentials, errs.KindUnauthorized},
		{"huge password", auth.Login{Username: "admin", Password: strings.Repeat("a", 5000)}, auth.ErrInvalidCredentials, errs.KindUnauthorized},
	} {
		login, _, _ := newLogin(t)
		_, err := login.Login(context.Background(), tt.cmd)
		if errs.KindOf(err) != tt.kind || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: got %v (kind %v), want %v (kind %v)", tt.name, err, errs.KindOf(err), tt.want, tt.kind)
		}
	}
}

func TestLoginBlocksAPairAfterFiveFailures(t *testing.T) {
	t.Parallel()
	login, _, clk := newLogin(t)
	ctx := context.Background()
	bad := auth.Login{Username: "admin", Password: "wrong", Address: "10.0.0.1"}
	good := auth.Login{Username: "admin", Password: "admin123", Address: "10.0.0.1"}
	for i := range 5 {
		if _, err := login.Login(ctx, bad); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("failure %d: got %v, want invalid credentials", i+1, err)
		}
		clk.Advance(time.Second)
	}
	// Even the right password is refused while blocked.
	_, err := login.Login(ctx, good)
	var tooMany *auth.TooManyAttemptsError
	if !errors.As(err, &tooMany) || !errors.Is(err, auth.ErrTooManyAttempts) {
		t.Fatalf("6th attempt: got %v, want too many attempts", err)
	}
	if got := tooMany.RetryAfterSeconds(); got != 55 {
		t.Fatalf("got retry after %ds, want 55s", got)
	}
	// Another address, and another username from the same address, are not blocked.
	if _, err := login.Login(ctx, auth.Login{Username: "admin", Password: "admin123", Address: "10.0.0.2"}); err != nil {
		t.Fatalf("other address: got %v, want success", err)
	}
	if _, err := login.Login(ctx, auth.Login{Username: "someone", Password: "x", Address: "10.0.0.1"}); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("other username: got %v, want invalid credentials", err)
	}
	clk.Advance(56 * time.Second)
	if _, err := login.Login(ctx, good); err != nil {
		t.Fatalf("after the window: got %v, want success", err)
	}
}

func TestLoginSuccessResetsFailures(t *testing.T) {
	t.Parallel()
	login, _, _ := newLogin(t)
	ctx := context.Background()
	bad := auth.Login{Username: "admin", Password: "wrong", Address: "10.0.0.1"}
	for range 4 {
		_, _ = login.Login(ctx, bad)
	}
	if _, err := login.Login(ctx, auth.Login{Username: "admin", Password: "admin123", Address: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := login.Login(ctx, bad); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("failure %d after the reset: got %v, want invalid credentials", i+1, err)
		}
	}
	if _, err := login.Login(ctx, bad); !errors.Is(err, auth.ErrTooManyAttempts) {
		t.Fatalf("6th failure after the reset: got %v, want too many attempts", err)
	}
}

// brokenLimiter is a limiter whose store fails.
type brokenLimiter struct{ err error }

func (b brokenLimiter) Attempt(context.Context, auth.AttemptKey, time.Time) (time.Duration, error) {
	return 0, b.err
}
func (b brokenLimiter) Succeeded(context.Context, auth.AttemptKey, time.Time) error { return b.err }
func (b brokenLimiter) Abandoned(context.Context, auth.AttemptKey, time.Time) error { return b.err }

// TestLoginFailsClosedWhenTheLimiterFails: a limiter that cannot count (its database is
// down) refuses the login with its error, before any password is checked, instead of letting
// unlimited guesses through.
func TestLoginFailsClosedWhenTheLimiterFails(t *testing.T) {
	t.Parallel()
	down := errs.New(errs.KindUnavailable, "database_unavailable", "the database is unavailable")
	g := newGatedChecker(nil)
	tokens, err := jwt.NewTokens(jwt.Secret("0123456789abcdef0123"), jwt.Issuer("customers-api"), jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	login := auth.NewService(brokenLimiter{err: down}, g, tokens, time.Now, auth.CheckLimit{Concurrent: 1, Wait: time.Second})
	_, err = login.Login(context.Background(), auth.Login{Username: "admin", Password: "admin123", Address: "10.9.0.1"})
	if !errors.Is(err, down) || errs.KindOf(err) != errs.KindUnavailable {
		t.Fatalf("got %v, want the limiter's unavailable error", err)
	}
	if calls, _ := g.stats(); len(calls) != 0 {
		t.Fatalf("got password checks %v, want none", calls)
	}
}
