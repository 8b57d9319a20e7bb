//go:build wireinject

package main

import (
	"log/slog"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// initializeOrchestrator builds the orchestrator over the real customers-api and orders-api
// clients.
func initializeOrchestrator(cfg bootstrap.Config, logger *slog.Logger) (*OrchestratorApp, error) {
	wire.Build(bootstrap.CommonSet, OrchestratorSet)
	return nil, nil
}
