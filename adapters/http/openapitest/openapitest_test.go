package openapitest_test

import (
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/openapitest"
)

//go:embed testdata/widgets.yaml
var widgetsSpec []byte

// recordingTB stands in for *testing.T so the tests can see what the helper reports.
// Methods it does not override panic (nil embedded interface), which would show misuse.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (r *recordingTB) Helper()             {}
func (r *recordingTB) Logf(string, ...any) {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

// run calls fn with a recordingTB on its own goroutine (Fatalf ends that goroutine) and
// returns what was reported.
func run(fn func(tb testing.TB)) *recordingTB {
	tb := &recordingTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb
}

const validWidget = `{"data":{"id":7,"name":"gear","owner_email":"ops@acme.com","created_at":"2026-11-27T09:00:00Z"}}`

// answer is a handler that drains the request body (as a real handler would) and replies.
func answer(status int, header map[string]string, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func authed(req *http.Request) *http.Request {
	req.Header.Set("Authorization", "Bearer abc.def.ghi")
	return req
}

func TestCheck(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t, widgetsSpec)
	location := map[string]string{"Location": "/widgets/7"}

	tests := []struct {
		name    string
		req     func() *http.Request
		handler http.Handler
		want    string // substring of the failure; "" means the exchange must pass
	}{
		{
			name:    "conforming creation",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(201, location, validWidget),
		},
		{
			name:    "missing required response header",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(201, nil, validWidget),
			want:    "Location",
		},
		{
			name:    "missing required response field",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(201, location, `{"data":{"id":7,"name":"gear","created_at":"2026-11-27T09:00:00Z"}}`),
			want:    "owner_email",
		},
		{
			name:    "undocumented response field",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(201, location, strings.Replace(validWidget, `"id":7`, `"id":7,"secret":"x"`, 1)),
			want:    "secret",
		},
		{
			name:    "bad email format",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(201, location, strings.Replace(validWidget, "ops@acme.com", "not-an-email", 1)),
			want:    "email",
		},
		{
			name:    "bad date-time format",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(201, location, strings.Replace(validWidget, "2026-11-27T09:00:00Z", "27/11/2026", 1)),
			want:    "created_at",
		},
		{
			name:    "undocumented status",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)) },
			handler: answer(418, nil, `{"error":{"code":"teapot","message":"no"}}`),
			want:    "got status 418, want one of the documented statuses [201 400]",
		},
		{
			name:    "rejected malformed request is not validated, its answer is",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"nme":"gear"}`)) },
			handler: answer(400, nil, `{"error":{"code":"invalid_request","message":"unknown field"}}`),
		},
		{
			name:    "error body that breaks the error schema",
			req:     func() *http.Request { return authed(openapitest.NewRequest("POST", "/widgets", `{"nme":"gear"}`)) },
			handler: answer(400, nil, `{"message":"unknown field"}`),
			want:    "error",
		},
		{
			name: "accepted request that breaks the spec",
			req: func() *http.Request {
				return authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear","admin":true}`))
			},
			handler: answer(201, location, validWidget),
			want:    "the request does not match the spec",
		},
		{
			name:    "accepted request without credentials",
			req:     func() *http.Request { return openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`) },
			handler: answer(201, location, validWidget),
			want:    "security requirement",
		},
		{
			name:    "operation without security needs no credentials",
			req:     func() *http.Request { return openapitest.NewRequest("GET", "/health", "") },
			handler: answer(200, nil, `{"status":"ok"}`),
		},
		{
			name:    "body where the spec documents none",
			req:     func() *http.Request { return authed(openapitest.NewRequest("DELETE", "/widgets/3", "")) },
			handler: answer(204, nil, `{}`),
			want:    "want none",
		},
		{
			name:    "no body where the spec documents none",
			req:     func() *http.Request { return authed(openapitest.NewRequest("DELETE", "/widgets/3", "")) },
			handler: answer(204, nil, ""),
		},
		{
			name:    "path not in the spec",
			req:     func() *http.Request { return authed(openapitest.NewRequest("GET", "/gadgets/1", "")) },
			handler: answer(200, nil, `{}`),
			want:    "got no operation for it in the spec",
		},
		{
			name:    "method not in the spec",
			req:     func() *http.Request { return authed(openapitest.NewRequest("PUT", "/widgets/1", "")) },
			handler: answer(204, nil, ""),
			want:    "got no operation for it in the spec",
		},
		{
			name:    "status range response",
			req:     func() *http.Request { return authed(openapitest.NewRequest("GET", "/widgets/5", "")) },
			handler: answer(404, nil, `{"error":{"code":"widget_not_found","message":"widget not found"}}`),
		},
		{
			name:    "accepted request with a path parameter outside the spec",
			req:     func() *http.Request { return authed(openapitest.NewRequest("GET", "/widgets/0", "")) },
			handler: answer(200, nil, validWidget),
			want:    "the request does not match the spec",
		},
		{
			name:    "wrong content type",
			req:     func() *http.Request { return authed(openapitest.NewRequest("GET", "/widgets/5", "")) },
			handler: answer(200, map[string]string{"Content-Type": "text/plain"}, validWidget),
			want:    "200",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := tt.req()
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, req)
			got := run(func(tb testing.TB) { v.Check(tb, req, rec) })
			switch {
			case tt.want == "" && len(got.errors) > 0:
				t.Errorf("got failures %q, want none", got.errors)
			case tt.want != "" && len(got.errors) == 0:
				t.Errorf("got no failure, want one mentioning %q", tt.want)
			case tt.want != "" && !strings.Contains(strings.Join(got.errors, "\n"), tt.want):
				t.Errorf("got failures %q, want one mentioning %q", got.errors, tt.want)
			}
		})
	}
}

func TestCheckReportsConsumedBody(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t, widgetsSpec)
	req := authed(httptest.NewRequest("POST", "/widgets", strings.NewReader(`{"name":"gear"}`)))
	rec := httptest.NewRecorder()
	answer(201, map[string]string{"Location": "/widgets/7"}, validWidget).ServeHTTP(rec, req)

	got := run(func(tb testing.TB) { v.Check(tb, req, rec) })
	if !got.fatal || !strings.Contains(strings.Join(got.errors, ""), "openapitest.NewRequest") {
		t.Errorf("got fatal=%v failures %q, want a fatal failure pointing at openapitest.NewRequest", got.fatal, got.errors)
	}
}

func TestServeBuffersTheBody(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t, widgetsSpec)
	h := answer(201, map[string]string{"Location": "/widgets/7"}, validWidget)

	got := run(func(tb testing.TB) {
		rec := v.Serve(tb, h, authed(httptest.NewRequest("POST", "/widgets", strings.NewReader(`{"name":"gear"}`))))
		if rec.Code != 201 {
			t.Errorf("got status %d, want 201", rec.Code)
		}
	})
	if len(got.errors) > 0 {
		t.Errorf("conforming exchange: got failures %q, want none", got.errors)
	}

	got = run(func(tb testing.TB) {
		v.Serve(tb, h, authed(httptest.NewRequest("POST", "/widgets", strings.NewReader(`{"name":""}`))))
	})
	if !strings.Contains(strings.Join(got.errors, ""), "the request does not match the spec") {
		t.Errorf("accepted empty name: got failures %q, want the request reported", got.errors)
	}
}

func TestCheckResponseWithoutRecorder(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t, widgetsSpec)
	req := openapitest.NewRequest("GET", "/health", "")
	header := http.Header{"Content-Type": []string{"application/json"}}

	if got := run(func(tb testing.TB) { v.CheckResponse(tb, req, 200, header, []byte(`{"status":"ok"}`)) }); len(got.errors) > 0 {
		t.Errorf("got failures %q, want none", got.errors)
	}
	if got := run(func(tb testing.TB) { v.CheckResponse(tb, req, 200, header, []byte(`{"status":"fine"}`)) }); len(got.errors) == 0 {
		t.Errorf("status outside its enum: got no failure, want one")
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not yaml":         "{{{",
		"missing info":     "openapi: 3.0.3\npaths: {}\n",
		"dangling ref":     "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n",
		"external ref":     "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: 'other.yaml#/R'}\n",
		"bad example type": "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: integer}\n              example: \"seven\"\n",
	}
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := run(func(tb testing.TB) { openapitest.New(tb, []byte(spec)) })
			if !got.fatal {
				t.Errorf("got no fatal failure, want New to stop the test")
			}
			if _, err := openapitest.Load([]byte(spec)); err == nil {
				t.Errorf("Load: got nil error, want one")
			}
		})
	}
}

func TestUncovered(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t, widgetsSpec)
	want := []string{"DELETE /widgets/{id} 204", "GET /health 200", "GET /widgets/{id} 200", "GET /widgets/{id} 4XX", "POST /widgets 201", "POST /widgets 400"}
	if got := v.Uncovered(); !slices.Equal(got, want) {
		t.Fatalf("before any check: got %q, want %q", got, want)
	}
	v.Serve(t, answer(200, nil, `{"status":"ok"}`), openapitest.NewRequest("GET", "/health", ""))
	v.Serve(t, answer(404, nil, `{"error":{"code":"widget_not_found","message":"widget not found"}}`),
		authed(openapitest.NewRequest("GET", "/widgets/9", "")))
	want = []string{"DELETE /widgets/{id} 204", "GET /widgets/{id} 200", "POST /widgets 201", "POST /widgets 400"}
	if got := v.Uncovered(); !slices.Equal(got, want) {
		t.Errorf("after two checks: got %q, want %q", got, want)
	}
}

// TestConcurrentChecks shares one Validator between goroutines, as parallel subtests do; run
// with -race it shows the Validator needs no external locking.
func TestConcurrentChecks(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t, widgetsSpec)
	h := answer(201, map[string]string{"Location": "/widgets/7"}, validWidget)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			got := run(func(tb testing.TB) {
				v.Serve(tb, h, authed(openapitest.NewRequest("POST", "/widgets", `{"name":"gear"}`)))
			})
			if len(got.errors) > 0 {
				t.Errorf("got failures %q, want none", got.errors)
			}
		})
	}
	wg.Wait()
}
