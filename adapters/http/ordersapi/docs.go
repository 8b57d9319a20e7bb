package ordersapi

import (
	_ "embed"
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

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(spec)))
	_, _ = w.Write(spec)
}
