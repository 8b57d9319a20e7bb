package customersapi_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

func TestCustomerLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(t, call{method: "POST", path: "/customers", auth: e.bearer(),
		body: `{"name":" ACME Corp ","email":"Ops@ACME.com","phone":"+1-555-0100"}`})
	c := wantCustomer(t, rec, 201)
	if c.ID <= 0 || c.Name != "ACME Corp" || c.Email != "Ops@ACME.com" || c.Phone == nil || *c.Phone != "+1-555-0100" {
		t.Fatalf("got %+v", c)
	}
	if loc := rec.Header().Get("Location"); loc != "/customers/"+strconv.FormatInt(c.ID, 10) {
		t.Fatalf("got Location %q", loc)
	}
	path := "/customers/" + strconv.FormatInt(c.ID, 10)

	got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 200)
	if got.String() != c.String() {
		t.Fatalf("get: got %v, want %v", got, c)
	}
	got = wantCustomer(t, e.do(t, call{method: "GET", path: "/internal" + path, auth: "Bearer " + customersapitest.DefaultServiceToken}), 200)
	if got.String() != c.String() {
		t.Fatalf("internal get: got %v, want %v", got, c)
	}

	// Partial update: only the phone is removed; null means "remove".
	up := wantCustomer(t, e.do(t, call{method: "PUT", path: path, auth: e.bearer(), body: `{"phone":null}`}), 200)
	if up.Phone != nil || up.Name != c.Name || up.Email != c.Email || up.CreatedAt != c.CreatedAt {
		t.Fatalf("got %+v after removing the phone", up)
	}
	up = wantCustomer(t, e.do(t, call{method: "PUT", path: path, auth: e.bearer(), body: `{"name":"ACME Inc","email":"billing@acme.com","phone":"42"}`}), 200)
	if up.Name != "ACME Inc" || up.Email != "billing@acme.com" || up.Phone == nil || *up.Phone != "42" {
		t.Fatalf("got %+v after a full update", up)
	}
	if got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 200); got.String() != up.String() {
		t.Fatalf("get after update: got %v, want %v", got, up)
	}

	// Delete: 204 with no body, then 404 everywhere, not listed, email free again.
	rec = e.do(t, call{method: "DELETE", path: path, auth: e.bearer()})
	if rec.Code != 204 || rec.Body.Len() != 0 {
		t.Fatalf("delete: got %d %q, want 204 and no body", rec.Code, rec.Body)
	}
	wantError(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 404, "customer_not_found")
	wantError(t, e.do(t, call{method: "GET", path: "/internal" + path, auth: "Bearer " + customersapitest.DefaultServiceToken}), 404, "customer_not_found")
	wantError(t, e.do(t, call{method: "PUT", path: path, auth: e.bearer(), body: `{"name":"X"}`}), 404, "customer_not_found")
	wantError(t, e.do(t, call{method: "DELETE", path: path, auth: e.bearer()}), 404, "customer_not_found")
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()})); len(l.Data) != 0 {
		t.Fatalf("got %d listed after delete, want 0", len(l.Data))
	}
	again := wantCustomer(t, e.do(t, call{method: "POST", path: "/customers", auth: e.bearer(), body: `{"name":"New","email":"BILLING@acme.com"}`}), 201)
	if again.ID == c.ID || again.Phone != nil {
		t.Fatalf("got %+v, want a new customer without phone", again)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.api.Seed(t, "Taken", "taken@acme.com", "")
	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":"A"}`, 400, "invalid_request"},
		{`{"name":"   ","email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":"` + strings.Repeat("n", 256) + `","email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":"A","email":"not-an-email"}`, 400, "invalid_request"},
		{`{"name":"A","email":"A <a@acme.com>"}`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com","phone":"` + strings.Repeat("1", 51) + `"}`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com","id":7}`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com","created_at":"2020-01-01T00:00:00Z"}`, 400, "invalid_request"},
		{`{"name":5,"email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":null,"email":"a@acme.com"}`, 400, "invalid_request"},
		{`["A"]`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com"`, 400, "invalid_request"},
		{``, 400, "invalid_request"},
		{`{"name":"A","email":"TAKEN@Acme.com"}`, 409, "email_taken"},
		{`{"name":"` + strings.Repeat("n", 1<<20) + `","email":"a@acme.com"}`, 413, "payload_too_large"},
	} {
		wantError(t, e.do(t, call{method: "POST", path: "/customers", auth: e.bearer(), body: tt.body}), tt.status, tt.code)
	}
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()})); len(l.Data) != 1 {
		t.Fatalf("got %d customers after refused creations, want only the seeded one", len(l.Data))
	}
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.api.Seed(t, "A", "a@acme.com", "1")
	e.api.Seed(t, "B", "b@acme.com", "")
	path := "/customers/" + strconv.FormatInt(c.ID(), 10)
	for _, tt := range []struct {
		path, body string
		status     int
		code       string
	}{
		{path, `{}`, 400, "invalid_request"},
		{path, `{"name":null}`, 400, "invalid_request"},
		{path, `{"email":null}`, 400, "invalid_request"},
		{path, `{"name":""}`, 400, "invalid_request"},
		{path, `{"email":"nope"}`, 400, "invalid_request"},
		{path, `{"phone":123}`, 400, "invalid_request"},
		{path, `{"nickname":"x"}`, 400, "invalid_request"},
		{path, `{"name":"X","id":99}`, 400, "invalid_request"},
		{path, `null`, 400, "invalid_request"},
		{path, `{"email":"B@ACME.COM"}`, 409, "email_taken"},
		{path, `{"name":"` + strings.Repeat("n", 1<<20) + `"}`, 413, "payload_too_large"},
		{"/customers/999999", `{"name":"X"}`, 404, "customer_not_found"},
		{"/customers/abc", `{"name":"X"}`, 400, "invalid_request"},
	} {
		wantError(t, e.do(t, call{method: "PUT", path: tt.path, auth: e.bearer(), body: tt.body}), tt.status, tt.code)
	}
	got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 200)
	if got.Name != "A" || got.Email != "a@acme.com" || got.Phone == nil || *got.Phone != "1" {
		t.Fatalf("got %+v after refused updates, want it unchanged", got)
	}
}

func TestBadIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := "Bearer " + customersapitest.DefaultServiceToken
	for _, id := range []string{"abc", "0", "-1", "+1", "1.5", "1e3", "0x10", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "%20"} {
		wantError(t, e.do(t, call{method: "GET", path: "/customers/" + id, auth: e.bearer()}), 400, "invalid_request")
		wantError(t, e.do(t, call{method: "PUT", path: "/customers/" + id, body: `{"name":"N"}`, auth: e.bearer()}), 400, "invalid_request")
		wantError(t, e.do(t, call{method: "DELETE", path: "/customers/" + id, auth: e.bearer()}), 400, "invalid_request")
		wantError(t, e.do(t, call{method: "GET", path: "/internal/customers/" + id, auth: svc}), 400, "invalid_request")
	}
	for _, id := range []string{"424242", "9223372036854775807"} {
		wantError(t, e.do(t, call{method: "GET", path: "/customers/" + id, auth: e.bearer()}), 404, "customer_not_found")
		wantError(t, e.do(t, call{method: "PUT", path: "/customers/" + id, body: `{"name":"N"}`, auth: e.bearer()}), 404, "customer_not_found")
		wantError(t, e.do(t, call{method: "DELETE", path: "/customers/" + id, auth: e.bearer()}), 404, "customer_not_found")
		wantError(t, e.do(t, call{method: "GET", path: "/internal/customers/" + id, auth: svc}), 404, "customer_not_found")
	}
}

func TestListPaginationAndSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []int64
	for i := range 5 {
		want = append(want, e.api.Seed(t, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d@acme.com", i), "").ID())
	}
	e.api.Seed(t, "100% Natural", "natural@farm.io", "")
	e.api.Seed(t, "100X Natural", "x@farm.io", "")
	e.api.Seed(t, "snake_case Ltd", "snake@farm.io", "")

	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		q := url.Values{"limit": {"2"}, "search": {"customer"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		l := wantList(t, e.do(t, call{method: "GET", path: "/customers?" + q.Encode(), auth: e.bearer()}))
		if l.Pagination.Limit != 2 || len(l.Data) > 2 {
			t.Fatalf("got limit %d and %d items, want 2 and at most 2", l.Pagination.Limit, len(l.Data))
		}
		for _, c := range l.Data {
			got = append(got, c.ID)
		}
		if !l.Pagination.HasMore {
			if l.Pagination.NextCursor != nil {
				t.Fatalf("got next_cursor %q on the last page, want null", *l.Pagination.NextCursor)
			}
			break
		}
		if l.Pagination.NextCursor == nil || pages > 5 {
			t.Fatal("has_more without next_cursor, or endless pages")
		}
		cursor = *l.Pagination.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got ids %v, want %v", got, want)
	}

	l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()}))
	if l.Pagination.Limit != 20 || len(l.Data) != 8 || l.Pagination.HasMore {
		t.Fatalf("default page: got limit %d, %d items, has_more %v", l.Pagination.Limit, len(l.Data), l.Pagination.HasMore)
	}
	for search, wantNames := range map[string][]string{
		"100%":     {"100% Natural"},
		"e_c":      {"snake_case Ltd"},
		"_":        {"snake_case Ltd"},
		"FARM.IO":  {"100% Natural", "100X Natural", "snake_case Ltd"},
		"%":        {"100% Natural"},
		"absent":   nil,
		"'; --":    nil,
		`\`:        nil,
		"c3@ACME.": {"Customer 3"},
	} {
		l := wantList(t, e.do(t, call{method: "GET", path: "/customers?search=" + url.QueryEscape(search), auth: e.bearer()}))
		var names []string
		for _, c := range l.Data {
			names = append(names, c.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(wantNames) {
			t.Errorf("search %q: got %v, want %v", search, names, wantNames)
		}
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "limit=", "limit=-1", "cursor=garbage", "cursor=" + httpkit.EncodeCursor(0) + "x",
		"search=" + strings.Repeat("s", 256), "search=%FF"} {
		wantError(t, e.do(t, call{method: "GET", path: "/customers?" + q, auth: e.bearer()}), 400, "invalid_request")
	}
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers?cursor=" + httpkit.EncodeCursor(math.MaxInt64), auth: e.bearer()})); len(l.Data) != 0 || l.Pagination.HasMore {
		t.Fatalf("cursor at the largest id: got %d items, want an empty last page", len(l.Data))
	}
	l = wantList(t, e.do(t, call{method: "GET", path: "/customers?limit=100", auth: e.bearer()}))
	if l.Pagination.Limit != 100 {
		t.Fatalf("got limit %d, want 100", l.Pagination.Limit)
	}
}

func TestConcurrentCreatesOfOneEmailOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const workers = 30
	got := e.statusesOfConcurrent(workers, func(i int) *http.Request {
		email := "race@acme.com"
		if i%2 == 1 {
			email = "RACE@Acme.com"
		}
		req := httptest.NewRequest("POST", "/customers", strings.NewReader(`{"name":"R","email":"`+email+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", e.bearer())
		return req
	})
	if got[201] != 1 || got[409] != workers-1 {
		t.Fatalf("got statuses %v, want one 201 and %d x 409", got, workers-1)
	}
}
