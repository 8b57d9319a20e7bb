// Package docs serves GET /docs, a page that renders a service's OpenAPI document (its
// GET /openapi.yaml) with Swagger UI. The page and every file it loads come from the binary
// (the three files of Swagger UI it loads are embedded from swaggerui/, see its README): no
// CDN, so it works offline, and its Content-Security-Policy allows nothing from another origin.
package docs

import (
	"embed"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
)

// ContentSecurityPolicy is the page's policy: scripts, styles and requests to its own origin
// only (images may also be data: URLs, which Swagger UI's stylesheet uses for its icons).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// assets are the files of Swagger UI's distribution the page loads, served at /docs/NAME.
var assets = []string{"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}

// swaggerUI holds those files.
//
//go:embed swaggerui/swagger-ui.css swaggerui/swagger-ui-bundle.js swaggerui/favicon-32x32.png
var swaggerUI embed.FS

// initScript starts Swagger UI on the document next to the page. It is a file rather than an
// inline script so that the policy needs no 'unsafe-inline'. validatorUrl is off: the
// default sends the document to a public validator.
//
//go:embed init.js
var initScript []byte

// page is the HTML of /docs; TITLE stands for the service name, HTML-escaped.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TITLE</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<noscript><p>TITLE is described in <a href="openapi.yaml">openapi.yaml</a> (OpenAPI 3).</p></noscript>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`

// Register adds GET and HEAD /docs (the page, titled title) and the files it loads
// (/docs/init.js and Swagger UI's assets) to r. Paths are relative in the page, so it also
// works behind a proxy that adds a path prefix.
func Register(r *mux.Router, title string) {
	body := []byte(strings.ReplaceAll(page, "TITLE", html.EscapeString(title)))
	read := []string{http.MethodGet, http.MethodHead}
	r.HandleFunc("/docs", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		_, _ = w.Write(body)
	}).Methods(read...)
	r.HandleFunc("/docs/init.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(initScript)))
		_, _ = w.Write(initScript)
	}).Methods(read...)
	for _, name := range assets {
		r.HandleFunc("/docs/"+name, func(w http.ResponseWriter, req *http.Request) {
			http.ServeFileFS(w, req, swaggerUI, "swaggerui/"+name)
		}).Methods(read...)
	}
}
