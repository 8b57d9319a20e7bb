package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
)

// PingServer connects to the server u names and asks for its version, without selecting
// u's database (the first migration creates it). Start-up uses it to wait for a database
// that starts after the service; see Unreachable. logger receives the driver's own
// messages (nil means slog.Default()).
func PingServer(ctx context.Context, u DatabaseURL, logger *slog.Logger) error {
	cfg, err := baseConfig(u)
	if err != nil {
		return err
	}
	if logger == nil {
		logger = slog.Default()
	}
	cfg.DBName = ""
	cfg.Logger = driverLogger{logger}
	if _, err := serverVersion(ctx, cfg); err != nil {
		return fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	return nil
}

// Unreachable reports whether err says that the server could not be reached (connection
// refused, unknown host, timed out, dropped): waiting may fix that. A server that answered
// with an error (wrong password, unknown database) is reachable, and waiting does not help.
func Unreachable(err error) bool { return isConnectionError(err) }

// Redacted is u without its credentials and parameters (mysql://host:port/db), for logs
// and messages.
func (u DatabaseURL) Redacted() string {
	parsed, err := url.Parse(string(u))
	if err != nil {
		return "(unparsable database url)"
	}
	parsed.User = nil
	parsed.RawQuery = ""
	return parsed.String()
}
