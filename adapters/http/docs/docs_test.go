package docs_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/docs"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
)

type operation struct{ method, path, tag, id string }

// operations lists the operations of an OpenAPI document, failing the test for one without a
// unique operationId or a tag (Swagger UI's ids, and client generators, need both).
func operations(t *testing.T, spec []byte) []operation {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatal(err)
	}
	var ops []operation
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || len(op.Tags) == 0 || seen[op.OperationID] {
				t.Errorf("%s %s: operationId %q, tags %v: want a unique operationId and a tag", method, path, op.OperationID, op.Tags)
				continue
			}
			seen[op.OperationID] = true
			ops = append(ops, operation{method, path, op.Tags[0], op.OperationID})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	if len(ops) == 0 {
		t.Fatal("no operation in the document")
	}
	return ops
}

var specs = map[string][]byte{"customers-api": customersapi.Spec(), "orders-api": ordersapi.Spec()}

func TestEveryOperationHasAnIDAndServersAreRelative(t *testing.T) {
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			ops := operations(t, spec)
			doc, err := openapi3.NewLoader().LoadFromData(spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
				t.Errorf("servers: got %v, want the one relative server /", doc.Servers)
			}
			if len(ops) < 4 {
				t.Errorf("got %d operations", len(ops))
			}
		})
	}
}

// TestPageAndAssets checks what the browser test needs without a browser: the page names
// only same-origin files, each of them is served, and the page carries the policy.
func TestPageAndAssets(t *testing.T) {
	handlers := map[string]http.Handler{
		"customers-api": customersapitest.New(t, customersapitest.Options{}).Handler,
		"orders-api":    ordersapitest.New(t, ordersapitest.Options{}).Handler,
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			page := apitest.Send(h, http.MethodGet, "/docs", "")
			if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("GET /docs: got %d %q", page.Code, page.Header().Get("Content-Type"))
			}
			if got := page.Header().Get("Content-Security-Policy"); got != docs.ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy: got %q", got)
			}
			body := page.Body.String()
			if !strings.Contains(body, "<title>"+name+"</title>") || strings.Contains(body, "://") || strings.Contains(body, `="//`) {
				t.Errorf("the page is not titled %s or names another origin:\n%s", name, body)
			}
			for _, asset := range []struct{ path, contentType string }{
				{"/docs/swagger-ui-bundle.js", "text/javascript"},
				{"/docs/init.js", "text/javascript"},
				{"/docs/swagger-ui.css", "text/css"},
				{"/docs/favicon-32x32.png", "image/png"},
			} {
				if !strings.Contains(body, `"`+strings.TrimPrefix(asset.path, "/")+`"`) {
					t.Errorf("the page does not load %s", asset.path)
				}
				rec := apitest.Send(h, http.MethodGet, asset.path, "")
				if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), asset.contentType) || rec.Body.Len() == 0 {
					t.Errorf("GET %s: got %d %q, %d bytes", asset.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
				}
			}
			if rec := apitest.Send(h, http.MethodGet, "/docs/index.html", ""); rec.Code != http.StatusNotFound {
				t.Errorf("GET /docs/index.html: got %d, want 404 (only the page's assets are served)", rec.Code)
			}
		})
	}
}
