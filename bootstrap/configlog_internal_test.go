package bootstrap

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigErrorUnderLambda: a function deployed without its secrets says so in one JSON log
// line naming both variables, before any warning about demo values.
func TestConfigErrorUnderLambda(t *testing.T) {
	t.Parallel()
	_, err := LoadConfig(Orchestrator, func(k string) string {
		return map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "JWT_SECRET": "short"}[k]
	})
	if err == nil {
		t.Fatal("got no error for missing secrets under Lambda")
	}
	var buf bytes.Buffer
	logConfigError(&buf, Orchestrator, err)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var line struct {
		Level, Msg, Service, Error string
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
		t.Fatalf("got %q, want one JSON log line", buf.String())
	}
	if line.Level != "ERROR" || line.Service != "orchestrator" || !strings.Contains(line.Error, "JWT_SECRET") ||
		!strings.Contains(line.Error, "SERVICE_TOKEN") || strings.Contains(line.Error, "[") || strings.Contains(line.Error, "demo") {
		t.Errorf("got %s, want an ERROR line of the orchestrator naming JWT_SECRET and SERVICE_TOKEN", lines[0])
	}
}
