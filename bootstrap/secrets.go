package bootstrap

import (
	"context"
	"fmt"
	"strings"
)

// SecretSource reads a secret by its id (an ARN); adapters/awssecrets implements it on AWS
// Secrets Manager.
type SecretSource interface {
	Secret(ctx context.Context, id string) (string, error)
}

// secretsByReference are the variables that may instead name a secret: NAME_ARN.
var secretsByReference = []string{"JWT_SECRET", "SERVICE_TOKEN"}

// SecretReferences returns the NAME_ARN values getenv sets, by NAME.
func SecretReferences(getenv func(string) string) map[string]string {
	refs := map[string]string{}
	for _, name := range secretsByReference {
		if id := strings.TrimSpace(getenv(name + "_ARN")); id != "" {
			refs[name] = id
		}
	}
	return refs
}

// WithSecrets reads, once and now, every secret getenv names by reference (JWT_SECRET_ARN,
// SERVICE_TOKEN_ARN) from src, and returns a getenv that answers those values for JWT_SECRET
// and SERVICE_TOKEN. Setting both a variable and its reference is an error: which one wins
// would be a guess. The values never go back into the process environment.
func WithSecrets(ctx context.Context, getenv func(string) string, src SecretSource) (func(string) string, error) {
	values := map[string]string{}
	for name, id := range SecretReferences(getenv) {
		if getenv(name) != "" {
			return nil, fmt.Errorf("configuration: both %s and %s_ARN are set; set one", name, name)
		}
		v, err := src.Secret(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("configuration: %s from %s_ARN: %w", name, name, err)
		}
		values[name] = strings.TrimSpace(v)
	}
	return func(k string) string {
		if v, ok := values[k]; ok {
			return v
		}
		return getenv(k)
	}, nil
}
