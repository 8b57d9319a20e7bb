package bootstrap_test

import (
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func TestCheckLambdaSecrets(t *testing.T) {
	t.Parallel()
	strong := "0123456789abcdef"
	cases := []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"both strong", map[string]string{"JWT_SECRET": strong, "SERVICE_TOKEN": strong}, false},
		{"none", map[string]string{}, true},
		{"weak jwt", map[string]string{"JWT_SECRET": "super-secret-key"[:15], "SERVICE_TOKEN": strong}, true},
		{"no service token", map[string]string{"JWT_SECRET": strong}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := bootstrap.CheckLambdaSecrets(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestOrchestratorProvidersRejectBadBaseURLs(t *testing.T) {
	t.Parallel()
	cfg := bootstrap.Config{CustomersAPIBase: "not a url", OrdersAPIBase: "http://127.0.0.1:3002", ServiceToken: "x"}
	if _, err := bootstrap.ProvideCustomersClient(cfg, nil); err == nil {
		t.Error("ProvideCustomersClient: got nil error for a bad base URL")
	}
	cfg.OrdersAPIBase = ""
	if _, err := bootstrap.ProvideOrdersClient(cfg, nil); err == nil {
		t.Error("ProvideOrdersClient: got nil error for an empty base URL")
	}
}
