package mysql_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
)

// TestPingServer: a server that is not there is unreachable, and the error names it without
// its password; a server that answers is reachable before its database exists, and one that
// refuses the credentials is an error that is not "unreachable" (waiting would not fix it).
func TestPingServer(t *testing.T) {
	t.Parallel()
	down := mysql.DatabaseURL("mysql://app:s3cret-pw@" + mysqltest.ClosedAddr(t) + "/shop")
	err := mysql.PingServer(t.Context(), down, nil)
	if err == nil || !mysql.Unreachable(err) {
		t.Fatalf("closed port: got %v, want an unreachable error", err)
	}
	if strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), "shop") {
		t.Fatalf("closed port: got %q, want the database named without the password", err)
	}

	u := env.URL(t)
	parsed, _ := url.Parse(string(u))
	parsed.Path = "/not_created_yet_" + strings.ReplaceAll(t.Name(), "/", "_")
	if err := mysql.PingServer(t.Context(), mysql.DatabaseURL(parsed.String()), nil); err != nil {
		t.Fatalf("server up, database not created: got %v, want nil", err)
	}
	parsed.User = url.UserPassword("no_such_user", "wrong")
	err = mysql.PingServer(t.Context(), mysql.DatabaseURL(parsed.String()), nil)
	if err == nil || mysql.Unreachable(err) {
		t.Fatalf("wrong credentials: got %v, want an error that is not unreachable", err)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	got := mysql.DatabaseURL("mysql://app:pw@db:3306/shop?tls=true").Redacted()
	if got != "mysql://db:3306/shop" {
		t.Fatalf("got %q, want mysql://db:3306/shop", got)
	}
}
