package lambda_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/b2b-backoffice/backoffice/adapters/jwt/jwttest"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
)

// TestHostileTokensAreRefusedBeforeAnyCall: every token that differs from a valid one in a
// way the contract names (alg none, HS512, RS256, another key, expired, no exp, another
// issuer) is 401 unauthorized in the orchestrator's shape, through v1 and v2 events and the
// local server alike, and neither service is called.
func TestHostileTokensAreRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	secret := []byte("test-secret-0123456789") // newFixture's
	now := time.Now()
	good := jwttest.Claims("admin", "customers-api", now)
	with := func(k string, v any) gojwt.MapClaims { return jwttest.With(good, k, v) }
	sign := func(m gojwt.SigningMethod, key any, claims gojwt.MapClaims) string {
		return jwttest.Sign(t, m, key, claims)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(gojwt.SigningMethodHS256, secret, good)
	tokens := map[string]string{
		"expired":      sign(gojwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix())),
		"no exp":       sign(gojwt.SigningMethodHS256, secret, with("exp", nil)),
		"alg none":     sign(gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, good),
		"another key":  sign(gojwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!"), good),
		"HS512":        sign(gojwt.SigningMethodHS512, secret, good),
		"RS256":        sign(gojwt.SigningMethodRS256, rsaKey, good),
		"wrong issuer": sign(gojwt.SigningMethodHS256, secret, with("iss", "someone-else")),
		"crit header":  jwttest.SignWithHeader(t, gojwt.SigningMethodHS256, secret, good, map[string]any{"crit": []string{"exp"}}),
		"exp a string": sign(gojwt.SigningMethodHS256, secret, with("exp", strconv.FormatInt(now.Add(time.Hour).Unix(), 10))),
		"no signature": strings.Join(strings.Split(valid, ".")[:2], ".") + ".",
	}
	f := newFixture(t)
	srv := localServer(t, f, nil)
	for name, tok := range tokens {
		h := map[string]string{"Authorization": "Bearer " + tok}
		for _, event := range []string{v1("POST", goodBody, h), v2("POST", goodBody, false, h)} {
			a := invoke(t, f, event)
			var got failure
			if err := json.Unmarshal([]byte(a.Body), &got); err != nil {
				t.Fatalf("%s: body %q: %v", name, a.Body, err)
			}
			if a.StatusCode != http.StatusUnauthorized || got.Error["code"] != "unauthorized" || got.Success == nil || *got.Success ||
				got.CorrelationID != "req-789" {
				t.Errorf("%s: got %d %s, want 401 unauthorized with success false and the body's correlationId", name, a.StatusCode, a.Body)
			}
		}
		res, body := do(t, "POST", srv.URL+lambda.Route, goodBody, h)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthorized"`) {
			t.Errorf("%s over the local server: got %d %s, want 401 unauthorized", name, res.StatusCode, body)
		}
	}
	if n := f.customers.calls + f.orders.calls; n != 0 {
		t.Fatalf("got %d calls to the services for refused tokens, want none", n)
	}
	// The same claims signed right pass: the refusals above are about the tokens.
	if a := invoke(t, f, v1("POST", goodBody, map[string]string{"Authorization": "Bearer " + valid})); a.StatusCode != http.StatusCreated {
		t.Fatalf("valid token: got %d %s, want 201", a.StatusCode, a.Body)
	}
}
