// Package awssecrets reads secrets from AWS Secrets Manager with the function's own role: the
// orchestrator's Lambda reads JWT_SECRET and SERVICE_TOKEN this way at cold start, so that
// they never appear in its configuration (bootstrap.WithSecrets).
package awssecrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Store reads secrets from Secrets Manager.
type Store struct{ client *secretsmanager.Client }

// Credentials are what the Lambda runtime gives the function in its environment
// (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): the execution
// role's temporary credentials. Taking them as values, rather than through the SDK's
// configuration loader, keeps SSO, STS and the instance metadata client out of the binary.
type Credentials struct {
	Region, AccessKeyID, SecretAccessKey, SessionToken string
}

// New returns a Store that calls Secrets Manager in c.Region with c's credentials.
func New(c Credentials) (*Store, error) {
	if c.Region == "" || c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, errors.New("aws credentials: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)")
	}
	return &Store{client: secretsmanager.New(secretsmanager.Options{
		Region:      c.Region,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
	})}, nil
}

// Secret returns the current string value of the secret id (its ARN or name).
func (s *Store) Secret(ctx context.Context, id string) (string, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", id, err)
	}
	if out.SecretString == nil {
		return "", errors.New("read secret " + id + ": it has no string value")
	}
	return *out.SecretString, nil
}
