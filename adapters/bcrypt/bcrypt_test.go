package bcrypt_test

import (
	"context"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/bcrypt"
)

func TestPasswordChecker(t *testing.T) {
	t.Parallel()
	p, err := bcrypt.NewPasswordChecker("admin", "admin123", bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	long72 := strings.Repeat("x", 72)
	p72, err := bcrypt.NewPasswordChecker("admin", long72, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name       string
		checker    *bcrypt.PasswordChecker
		user, pass string
		want       bool
	}{
		{"right", p, "admin", "admin123", true},
		{"wrong password", p, "admin", "admin124", false},
		{"unknown user", p, "root", "admin123", false},
		{"user case differs", p, "Admin", "admin123", false},
		{"user prefix", p, "adm", "admin123", false},
		{"empty password", p, "admin", "", false},
		{"72-byte password", p72, "admin", long72, true},
		{"73 bytes sharing the first 72", p72, "admin", long72 + "y", false},
	} {
		if got := tt.checker.Check(ctx, tt.user, tt.pass); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewPasswordCheckerRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ user, pass string }{
		{"", "x"}, {"admin", ""}, {"admin", strings.Repeat("x", 73)},
	} {
		if _, err := bcrypt.NewPasswordChecker(tt.user, tt.pass, bcrypt.MinCost); err == nil {
			t.Errorf("NewPasswordChecker(%q, %d bytes): got nil error, want one", tt.user, len(tt.pass))
		}
	}
}
