package bootstrap_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

type fakeSecrets map[string]string

func (f fakeSecrets) Secret(_ context.Context, id string) (string, error) {
	if v, ok := f[id]; ok {
		return v, nil
	}
	return "", errors.New("AccessDeniedException")
}

func TestWithSecrets(t *testing.T) {
	env := map[string]string{
		"JWT_SECRET_ARN":    "arn:aws:secretsmanager:eu-west-1:1:secret:jwt",
		"SERVICE_TOKEN_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:svc",
		"JWT_ISSUER":        "customers-api",
	}
	src := fakeSecrets{
		"arn:aws:secretsmanager:eu-west-1:1:secret:jwt": "jwt-secret-from-secrets-manager\n",
		"arn:aws:secretsmanager:eu-west-1:1:secret:svc": "service-token-from-secrets-manager",
	}
	getenv, err := bootstrap.WithSecrets(context.Background(), func(k string) string { return env[k] }, src)
	if err != nil {
		t.Fatal(err)
	}
	if getenv("JWT_SECRET") != "jwt-secret-from-secrets-manager" || getenv("SERVICE_TOKEN") != "service-token-from-secrets-manager" || getenv("JWT_ISSUER") != "customers-api" {
		t.Errorf("got JWT_SECRET %q, SERVICE_TOKEN %q, JWT_ISSUER %q", getenv("JWT_SECRET"), getenv("SERVICE_TOKEN"), getenv("JWT_ISSUER"))
	}
	cfg, err := bootstrap.LoadConfig(bootstrap.Orchestrator, getenv)
	if err != nil || cfg.JWTSecret != "jwt-secret-from-secrets-manager" {
		t.Errorf("LoadConfig: got %v, JWT secret %q", err, cfg.JWTSecret)
	}

	_, err = bootstrap.WithSecrets(context.Background(), func(k string) string { return env[k] }, fakeSecrets{})
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET_ARN") && !strings.Contains(err.Error(), "SERVICE_TOKEN_ARN") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("unreadable secret: got %v, want an error naming the variable and the cause", err)
	}
	env["JWT_SECRET"] = "also-set-directly-0123456789"
	if _, err := bootstrap.WithSecrets(context.Background(), func(k string) string { return env[k] }, src); err == nil || !strings.Contains(err.Error(), "both JWT_SECRET and JWT_SECRET_ARN") {
		t.Errorf("both set: got %v, want an error", err)
	}
}
