package jwt

import (
	"strconv"
	"testing"
	"time"
)

// TestVerifiedCacheStaysBounded: however many distinct valid tokens come, the cache holds
// at most maxVerified of them.
func TestVerifiedCacheStaysBounded(t *testing.T) {
	t.Parallel()
	tokens, err := NewTokens(Secret("super-secret-key"), "customers-api", Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range maxVerified + 100 {
		tok, err := tokens.Issue("user-"+strconv.Itoa(i), now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.Verify(tok.Value); err != nil {
			t.Fatal(err)
		}
		if n := tokens.verified.len(); n > maxVerified {
			t.Fatalf("after %d tokens the cache holds %d, want at most %d", i+1, n, maxVerified)
		}
	}
	if n := tokens.verified.len(); n == 0 {
		t.Fatal("the cache is empty after verifying tokens: it is not used")
	}
}
