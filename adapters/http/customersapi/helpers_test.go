package customersapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/openapitest"
)

type env struct {
	api  *customersapitest.API
	user string // a valid user JWT
}

func newEnv(t *testing.T) *env {
	t.Helper()
	api := customersapitest.New(t, customersapitest.Options{})
	return &env{api: api, user: api.UserToken(t)}
}

type call struct {
	method, path, body string
	auth               string // full Authorization header value; "" for none
	header             map[string]string
	remote             string
	raw                bool // an undocumented route: not checked against the spec
}

func (e *env) do(t *testing.T, c call) *httptest.ResponseRecorder {
	t.Helper()
	req := openapitest.NewRequest(c.method, c.path, c.body)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	if c.raw {
		rec := httptest.NewRecorder()
		e.api.Handler.ServeHTTP(rec, req)
		return rec
	}
	return spec.Serve(t, e.api.Handler, req)
}

func (e *env) bearer() string { return "Bearer " + e.user }

type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) errorBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("got status %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("got body %q, want an error object: %v", rec.Body, err)
	}
	if b.Error.Code != code || b.Error.Message == "" {
		t.Fatalf("got error %+v, want code %q and a message", b.Error, code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("got Content-Type %q, want application/json", ct)
	}
	return b
}

type customerBody struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Email     string  `json:"email"`
	Phone     *string `json:"phone"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func (c customerBody) String() string {
	phone := "null"
	if c.Phone != nil {
		phone = strconv.Quote(*c.Phone)
	}
	return fmt.Sprintf("{id:%d name:%q email:%q phone:%s created_at:%s updated_at:%s}", c.ID, c.Name, c.Email, phone, c.CreatedAt, c.UpdatedAt)
}

func wantCustomer(t *testing.T, rec *httptest.ResponseRecorder, status int) customerBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("got status %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	var b struct {
		Data customerBody `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("got body %q: %v", rec.Body, err)
	}
	for _, ts := range []string{b.Data.CreatedAt, b.Data.UpdatedAt} {
		if parsed, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || parsed.IsZero() {
			t.Fatalf("got time %q, want RFC 3339 in UTC", ts)
		}
	}
	return b.Data
}

type listBody struct {
	Data       []customerBody `json:"data"`
	Pagination struct {
		Limit      int     `json:"limit"`
		NextCursor *string `json:"next_cursor"`
		HasMore    bool    `json:"has_more"`
	} `json:"pagination"`
}

func wantList(t *testing.T, rec *httptest.ResponseRecorder) listBody {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("got status %d, want 200 (body %s)", rec.Code, rec.Body)
	}
	var b listBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b.Data == nil {
		t.Fatalf("got data null, want an array (body %s)", rec.Body)
	}
	return b
}

// tamper changes the payload of a signed token without re-signing it.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d token parts", len(parts))
	}
	claims := gojwt.MapClaims{"sub": "root", "iss": "customers-api", "exp": time.Now().Add(time.Hour).Unix()}
	b, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// statusesOfConcurrent serves the n requests req(0..n-1) from n goroutines at once and
// counts the answers by status.
func (e *env) statusesOfConcurrent(n int, req func(i int) *http.Request) map[int]int {
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			e.api.Handler.ServeHTTP(rec, req(i))
			codes <- rec.Code
		}()
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	return got
}
