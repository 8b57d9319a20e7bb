// Command orchestrator runs the create-and-confirm-order function: under AWS Lambda (when
// AWS_LAMBDA_RUNTIME_API is set, as the Lambda runtime sets it) it serves API Gateway events;
// anywhere else it serves the same handler over HTTP on PORT (default 3003), the way
// serverless-offline runs the original.
package main

import (
	"context"
	"log/slog"
	"os"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func main() { os.Exit(bootstrap.Main(bootstrap.Orchestrator, start)) }

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
