package deploytest_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// node looks a path of mapping keys up in a YAML document (CloudFormation's !Ref and !If
// tags are kept as tagged nodes).
func node(t *testing.T, n *yaml.Node, path ...string) *yaml.Node {
	t.Helper()
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, k := range path {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			t.Fatalf("template.yaml: no %s", strings.Join(path, "."))
		}
		n = next
	}
	return n
}

// TestTemplate checks what an AWS engineer expects of template.yaml: arm64, a function timeout
// below API Gateway's 29 s, https-only upstream URLs, secrets passed as Secrets Manager ARNs
// (never as values in the environment), optional VPC, reserved concurrency and log retention
// as parameters.
func TestTemplate(t *testing.T) {
	t.Parallel()
	var doc yaml.Node
	if err := yaml.Unmarshal(readRepoFile(t, "template.yaml"), &doc); err != nil {
		t.Fatal(err)
	}
	fn := node(t, &doc, "Resources", "OrchestratorFunction", "Properties")
	if arch := node(t, fn, "Architectures"); len(arch.Content) != 1 || arch.Content[0].Value != "arm64" {
		t.Errorf("Architectures: want [arm64]")
	}
	timeout, err := strconv.Atoi(node(t, &doc, "Globals", "Function", "Timeout").Value)
	if err != nil || timeout >= 29 {
		t.Errorf("Timeout: got %d (%v), want below API Gateway's 29 s", timeout, err)
	}
	// The worst case of one request: 5 upstream calls of two attempts at the largest allowed
	// UpstreamTimeout, plus 100 ms of backoff each.
	var largest float64
	for _, v := range node(t, &doc, "Parameters", "UpstreamTimeout", "AllowedValues").Content {
		d := strings.TrimSuffix(v.Value, "s")
		f, _ := strconv.ParseFloat(strings.TrimSuffix(d, "m"), 64)
		if strings.HasSuffix(d, "m") {
			f /= 1000
		}
		largest = max(largest, f)
	}
	if worst := 5 * (2*largest + 0.1); largest == 0 || worst >= float64(timeout) {
		t.Errorf("largest UpstreamTimeout %.1fs: worst case %.1fs, want it below the %ds timeout", largest, worst, timeout)
	}

	for _, name := range []string{"CustomersApiBase", "OrdersApiBase"} {
		pattern := regexp.MustCompile(node(t, &doc, "Parameters", name, "AllowedPattern").Value)
		if !pattern.MatchString("https://orders.internal.example.com") || pattern.MatchString("http://orders.internal.example.com") {
			t.Errorf("%s: AllowedPattern %s must take https:// URLs only", name, pattern)
		}
	}

	env := node(t, fn, "Environment", "Variables")
	for i := 0; i+1 < len(env.Content); i += 2 {
		switch k := env.Content[i].Value; k {
		case "JWT_SECRET", "SERVICE_TOKEN", "ADMIN_PASSWORD", "DB_PASSWORD":
			t.Errorf("the function's environment holds %s: secrets must be read from Secrets Manager at run time", k)
		case "JWT_SECRET_ARN", "SERVICE_TOKEN_ARN":
			if ref := env.Content[i+1]; ref.Tag != "!Ref" {
				t.Errorf("%s: got %s %q, want !Ref of an ARN parameter", k, ref.Tag, ref.Value)
			}
		}
	}
	for _, p := range []string{"JwtSecretArn", "ServiceTokenArn"} {
		if !strings.Contains(node(t, &doc, "Parameters", p, "AllowedPattern").Value, "secretsmanager") {
			t.Errorf("%s: want an AllowedPattern of Secrets Manager ARNs", p)
		}
	}
	if node(t, fn, "VpcConfig").Tag != "!If" || node(t, fn, "ReservedConcurrentExecutions").Tag != "!If" {
		t.Error("VpcConfig and ReservedConcurrentExecutions: want both optional (!If on a condition)")
	}
	if got := node(t, &doc, "Resources", "OrchestratorLogGroup", "Properties", "RetentionInDays"); got.Tag != "!Ref" || got.Value != "LogRetentionDays" {
		t.Errorf("log group retention: got %s %q, want !Ref LogRetentionDays", got.Tag, got.Value)
	}
}
