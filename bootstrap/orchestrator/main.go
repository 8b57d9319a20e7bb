// Command orchestrator runs the create-and-confirm-order function: under AWS Lambda (when
// AWS_LAMBDA_RUNTIME_API is set, as the Lambda runtime sets it) it serves API Gateway events;
// anywhere else it serves the same handler over HTTP on PORT (default 3003), the way
// serverless-offline runs the original.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/b2b-backoffice/backoffice/adapters/awssecrets"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func main() { os.Exit(bootstrap.MainWithEnv(bootstrap.Orchestrator, secretsManager, start)) }

// secretsManager reads JWT_SECRET and SERVICE_TOKEN from AWS Secrets Manager when they are
// given as JWT_SECRET_ARN and SERVICE_TOKEN_ARN (template.yaml does so), once, at cold start.
func secretsManager(ctx context.Context, getenv func(string) string) (func(string) string, error) {
	if len(bootstrap.SecretReferences(getenv)) == 0 {
		return getenv, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	store, err := awssecrets.New(awssecrets.Credentials{Region: getenv("AWS_REGION"),
		AccessKeyID: getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN")})
	if err != nil {
		return nil, err
	}
	return bootstrap.WithSecrets(ctx, getenv, store)
}

func start(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) error {
	app, err := initializeOrchestrator(cfg, logger)
	if err != nil {
		return err
	}
	if cfg.Lambda {
		logger.Info("serving API Gateway events under AWS Lambda",
			slog.String("customers_api", cfg.CustomersAPIBase), slog.String("orders_api", cfg.OrdersAPIBase))
		awslambda.StartWithOptions(app.Handler.Handle, awslambda.WithContext(ctx))
		return nil // not reached: the runtime loop exits the process
	}
	logger.Info("serving the function over HTTP", slog.String("route", "POST /orchestrator/create-and-confirm-order"),
		slog.String("customers_api", cfg.CustomersAPIBase), slog.String("orders_api", cfg.OrdersAPIBase))
	return httpkit.Serve(ctx, logger, app.Server, app.HTTP)
}
