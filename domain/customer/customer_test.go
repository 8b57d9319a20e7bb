package customer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

var now = time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.FixedZone("X", 3600))

func ptr(s string) *string { return &s }

func TestNewCustomer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		in                     [3]string // name, email, phone
		wantErr                bool
		wantName, wantEmail, p string
	}{
		{name: "minimal", in: [3]string{"ACME", "ops@acme.com", ""}, wantName: "ACME", wantEmail: "ops@acme.com"},
		{name: "trimmed and case kept", in: [3]string{"  ACME Corp ", " Ops@ACME.com ", " +1 555 0100 "},
			wantName: "ACME Corp", wantEmail: "Ops@ACME.com", p: "+1 555 0100"},
		{name: "unicode name", in: [3]string{"Café Ñandú", "a@b.co", ""}, wantName: "Café Ñandú", wantEmail: "a@b.co"},
		{name: "name 255 runes", in: [3]string{strings.Repeat("é", 255), "a@b.co", ""}, wantName: strings.Repeat("é", 255), wantEmail: "a@b.co"},
		{name: "plus and dots in local part", in: [3]string{"X", "first.last+tag@sub.example.org", ""}, wantName: "X", wantEmail: "first.last+tag@sub.example.org"},
		{name: "phone 50 chars", in: [3]string{"X", "a@b.co", strings.Repeat("9", 50)}, wantName: "X", wantEmail: "a@b.co", p: strings.Repeat("9", 50)},
		{name: "empty name", in: [3]string{"", "a@b.co", ""}, wantErr: true},
		{name: "blank name", in: [3]string{" \t ", "a@b.co", ""}, wantErr: true},
		{name: "name 256 runes", in: [3]string{strings.Repeat("a", 256), "a@b.co", ""}, wantErr: true},
		{name: "name with newline", in: [3]string{"A\nB", "a@b.co", ""}, wantErr: true},
		{name: "empty email", in: [3]string{"X", "", ""}, wantErr: true},
		{name: "no at", in: [3]string{"X", "acme.com", ""}, wantErr: true},
		{name: "display name", in: [3]string{"X", "Ops <ops@acme.com>", ""}, wantErr: true},
		{name: "comment", in: [3]string{"X", "ops@acme.com(x)", ""}, wantErr: true},
		{name: "no dot in domain", in: [3]string{"X", "ops@localhost", ""}, wantErr: true},
		{name: "trailing dot", in: [3]string{"X", "ops@acme.com.", ""}, wantErr: true},
		{name: "double at", in: [3]string{"X", "a@b@c.com", ""}, wantErr: true},
		{name: "space inside", in: [3]string{"X", "a b@c.com", ""}, wantErr: true},
		{name: "non ascii", in: [3]string{"X", "josé@acme.com", ""}, wantErr: true},
		{name: "domain literal", in: [3]string{"X", "a@[10.0.0.1]", ""}, wantErr: true},
		{name: "email 256 chars", in: [3]string{"X", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 187) + ".com", ""}, wantErr: true},
		{name: "phone 51 chars", in: [3]string{"X", "a@b.co", strings.Repeat("9", 51)}, wantErr: true},
		{name: "phone control char", in: [3]string{"X", "a@b.co", "555\x00"}, wantErr: true},
		{name: "invisible name", in: [3]string{"\uFEFF", "a@b.co", ""}, wantErr: true},
		{name: "zero-width space in name", in: [3]string{"A\u200BB", "a@b.co", ""}, wantErr: true},
		{name: "trailing newline refused, not trimmed", in: [3]string{"ACME\n", "a@b.co", ""}, wantErr: true},
		{name: "phone line separator", in: [3]string{"X", "a@b.co", "\u2028"}, wantErr: true},
		{name: "phone direction mark", in: [3]string{"X", "a@b.co", "\u200E+1 555"}, wantErr: true},
		{name: "email with BOM", in: [3]string{"X", "\uFEFFa@b.co", ""}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := customer.NewCustomer(tt.in[0], tt.in[1], tt.in[2], now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got customer %q, want an error", c.Email())
				}
				if k := errs.KindOf(err); k != errs.KindInvalid {
					t.Fatalf("got kind %v, want KindInvalid (%v)", k, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if c.ID() != 0 || c.Name() != tt.wantName || c.Email() != tt.wantEmail || c.Phone() != tt.p {
				t.Fatalf("got (%d,%q,%q,%q), want (0,%q,%q,%q)", c.ID(), c.Name(), c.Email(), c.Phone(), tt.wantName, tt.wantEmail, tt.p)
			}
			want := now.UTC().Truncate(time.Microsecond)
			if !c.CreatedAt().Equal(want) || !c.UpdatedAt().Equal(want) || c.CreatedAt().Location() != time.UTC {
				t.Fatalf("got times %v/%v, want %v in UTC", c.CreatedAt(), c.UpdatedAt(), want)
			}
		})
	}
}

func TestEmail256IsRefusedAnd255Accepted(t *testing.T) {
	t.Parallel()
	e255 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"
	if len(e255) != 255 {
		t.Fatalf("test setup: got %d chars", len(e255))
	}
	if _, err := customer.NewCustomer("X", e255, "", now); err != nil {
		t.Fatalf("255-char email: got %v, want accepted", err)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	later := now.Add(time.Hour)
	tests := []struct {
		name    string
		ch      customer.Changes
		wantErr bool
		want    [3]string
	}{
		{name: "nothing", ch: customer.Changes{}, wantErr: true, want: [3]string{"ACME", "ops@acme.com", "555"}},
		{name: "name only", ch: customer.Changes{Name: ptr(" New ")}, want: [3]string{"New", "ops@acme.com", "555"}},
		{name: "email only", ch: customer.Changes{Email: ptr("B@acme.com")}, want: [3]string{"ACME", "B@acme.com", "555"}},
		{name: "phone removed", ch: customer.Changes{Phone: ptr("")}, want: [3]string{"ACME", "ops@acme.com", ""}},
		{name: "all", ch: customer.Changes{Name: ptr("N"), Email: ptr("n@n.io"), Phone: ptr("1")}, want: [3]string{"N", "n@n.io", "1"}},
		{name: "bad email keeps all", ch: customer.Changes{Name: ptr("N"), Email: ptr("nope")}, wantErr: true, want: [3]string{"ACME", "ops@acme.com", "555"}},
		{name: "blank name keeps all", ch: customer.Changes{Name: ptr("  "), Phone: ptr("1")}, wantErr: true, want: [3]string{"ACME", "ops@acme.com", "555"}},
		{name: "long phone", ch: customer.Changes{Phone: ptr(strings.Repeat("1", 51))}, wantErr: true, want: [3]string{"ACME", "ops@acme.com", "555"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := customer.NewCustomer("ACME", "ops@acme.com", "555", now)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Update(tt.ch, later)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && errs.KindOf(err) != errs.KindInvalid {
				t.Fatalf("got kind %v, want KindInvalid", errs.KindOf(err))
			}
			got := [3]string{c.Name(), c.Email(), c.Phone()}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			wantUpdated := later.UTC().Truncate(time.Microsecond)
			if tt.wantErr {
				wantUpdated = now.UTC().Truncate(time.Microsecond)
			}
			if !c.UpdatedAt().Equal(wantUpdated) {
				t.Fatalf("got updated_at %v, want %v", c.UpdatedAt(), wantUpdated)
			}
			if !c.CreatedAt().Equal(now.UTC().Truncate(time.Microsecond)) {
				t.Fatalf("created_at changed to %v", c.CreatedAt())
			}
		})
	}
}

func TestRehydrateKeepsValuesInUTC(t *testing.T) {
	t.Parallel()
	c := customer.Rehydrate(customer.Snapshot{ID: 7, Name: "N", Email: "e@x.io", CreatedAt: now, UpdatedAt: now.Add(time.Minute)})
	if c.ID() != 7 || c.Name() != "N" || c.Email() != "e@x.io" || c.Phone() != "" {
		t.Fatalf("got %+v", c)
	}
	if c.CreatedAt().Location() != time.UTC || !c.UpdatedAt().Equal(now.Add(time.Minute)) {
		t.Fatalf("got times %v %v", c.CreatedAt(), c.UpdatedAt())
	}
}

func TestEmailKeyIgnoresCase(t *testing.T) {
	t.Parallel()
	if customer.EmailKey(" Ops@ACME.com") != customer.EmailKey("ops@acme.COM") {
		t.Fatal("got different keys for the same address in another case")
	}
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		kind errs.Kind
		code string
	}{{customer.ErrNotFound, errs.KindNotFound, "customer_not_found"}, {customer.ErrEmailTaken, errs.KindConflict, "email_taken"}} {
		var c errs.Coded
		wrapped := errors.Join(errors.New("context"), tt.err)
		if !errors.As(wrapped, &c) || c.Kind() != tt.kind || c.Code() != tt.code {
			t.Fatalf("got %v, want kind %v code %s", c, tt.kind, tt.code)
		}
	}
}
