package ordersapi

import (
	_ "embed"
	"html"
	"net/http"
	"strconv"
)

// spec is the OpenAPI 3.0 description of this API, served at GET /openapi.yaml. It must say
// what the contract says; the tests validate every recorded answer against it.
//
//go:embed openapi.yaml
var spec []byte

// Spec returns a copy of the OpenAPI document, for tests elsewhere that validate answers.
func Spec() []byte { return append([]byte(nil), spec...) }

// docsPage is a self-contained page (no script, no external asset) showing the document, so
// that it works offline and under a strict Content-Security-Policy.
var docsPage = []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orders-api</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}pre{background:#f6f8fa;padding:1rem;overflow:auto}</style>
</head><body><h1>orders-api</h1>
<p>The OpenAPI 3.0 document below is also served raw at <a href="/openapi.yaml">/openapi.yaml</a>;
load it into any OpenAPI viewer. Business routes need <code>Authorization: Bearer &lt;JWT&gt;</code>
from customers-api <code>POST /auth/login</code>.</p>
<pre>` + html.EscapeString(string(spec)) + `</pre></body></html>
`)

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(spec)))
	_, _ = w.Write(spec)
}

func serveDocs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(docsPage)))
	_, _ = w.Write(docsPage)
}
