package bootstrap_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func TestInitializePicksTheInjector(t *testing.T) {
	t.Parallel()
	memory := func(bootstrap.Config, *slog.Logger) (string, error) { return "memory", nil }
	closed := false
	mysql := func(context.Context, bootstrap.Config, *slog.Logger) (string, func(), error) {
		return "mysql", func() { closed = true }, nil
	}
	logger := slog.New(slog.DiscardHandler)

	app, cleanup, err := bootstrap.Initialize(context.Background(), bootstrap.Config{}, logger, memory, mysql)
	if err != nil || app != "memory" || cleanup == nil {
		t.Fatalf("no database: got %q, cleanup %v, %v; want memory", app, cleanup != nil, err)
	}
	cleanup()

	cfg := bootstrap.Config{DatabaseURL: "mysql://root@127.0.0.1:3306/app"}
	app, cleanup, err = bootstrap.Initialize(context.Background(), cfg, logger, memory, mysql)
	if err != nil || app != "mysql" {
		t.Fatalf("with a database: got %q, %v; want mysql", app, err)
	}
	cleanup()
	if !closed {
		t.Error("the MySQL injector's cleanup did not run")
	}
}
