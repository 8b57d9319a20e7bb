package idempotency_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    string
		valid bool
	}{
		{"a", true},
		{"order-123_confirm:2026-11-27T10:00:00Z", true},
		{"with space ~!@#$%^&*()", true},
		{strings.Repeat("k", 255), true},
		{"", false},
		{strings.Repeat("k", 256), false},
		{"tab\there", false},
		{"new\nline", false},
		{"del\x7f", false},
		{"caf\u00e9", false},
		{"nul\x00", false},
	}
	for _, c := range cases {
		k, err := idempotency.ParseKey(c.in)
		if c.valid {
			if err != nil || k.String() != c.in || k.IsZero() {
				t.Errorf("ParseKey(%q) = %q, %v; want it valid", c.in, k, err)
			}
			continue
		}
		if !errors.Is(err, idempotency.ErrInvalidKey) || !k.IsZero() {
			t.Errorf("ParseKey(%q) = %q, %v; want ErrInvalidKey", c.in, k, err)
		}
	}
}

func TestPick(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		values      []string
		wantKey     string
		wantPresent bool
		wantErr     error
	}{
		{"none", nil, "", false, nil},
		{"one", []string{"k1"}, "k1", true, nil},
		{"both headers, same value", []string{"k1", "k1"}, "k1", true, nil},
		{"both headers, different values", []string{"k1", "k2"}, "", true, idempotency.ErrInvalidKey},
		{"empty value", []string{""}, "", true, idempotency.ErrInvalidKey},
		{"invalid value", []string{"\x01"}, "", true, idempotency.ErrInvalidKey},
	}
	for _, c := range cases {
		k, present, err := idempotency.Pick(c.values)
		if k.String() != c.wantKey || present != c.wantPresent || !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
			t.Errorf("%s: Pick = %q, %v, %v; want %q, %v, %v", c.name, k, present, err, c.wantKey, c.wantPresent, c.wantErr)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a := idempotency.Fingerprint("confirm_order", "12")
	if len(a) != 64 || strings.ToLower(a) != a {
		t.Fatalf("got %q, want 64 lower-case hex characters", a)
	}
	if a != idempotency.Fingerprint("confirm_order", "12") {
		t.Fatal("Fingerprint is not deterministic")
	}
	for _, other := range [][]string{{"confirm_order", "13"}, {"confirm_order1", "2"}, {"confirm_order12"}, {"confirm_order", "12", ""}} {
		if idempotency.Fingerprint(other...) == a {
			t.Errorf("Fingerprint(%q) collides with Fingerprint(confirm_order, 12)", other)
		}
	}
	if !idempotency.IsFingerprint(a) {
		t.Errorf("IsFingerprint(%q) is false, want true", a)
	}
	for _, bad := range []string{"", a[:63], a + "0", strings.ToUpper(a), "g" + a[1:], " " + a[1:]} {
		if idempotency.IsFingerprint(bad) {
			t.Errorf("IsFingerprint(%q) is true, want false", bad)
		}
	}
}

func TestRecord(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("X", 7200))
	key, _ := idempotency.ParseKey("k")
	rec := idempotency.NewRecord(idempotency.OpConfirmOrder, key, "7", "fp", now, time.Hour)
	wantCreated := time.Date(2026, 11, 27, 8, 0, 0, 123456000, time.UTC)
	if !rec.CreatedAt().Equal(wantCreated) || rec.CreatedAt().Location() != time.UTC || !rec.ExpiresAt().Equal(wantCreated.Add(time.Hour)) {
		t.Fatalf("got created %v expires %v", rec.CreatedAt(), rec.ExpiresAt())
	}
	if rec.Completed() || rec.Operation() != idempotency.OpConfirmOrder || rec.Key() != key || rec.Target() != "7" || rec.Fingerprint() != "fp" {
		t.Fatal("NewRecord lost a field or is completed")
	}
	if !rec.Matches("7", "fp") || rec.Matches("8", "fp") || rec.Matches("7", "other") {
		t.Fatal("Matches is wrong")
	}
	if rec.Expired(wantCreated.Add(time.Hour-time.Microsecond)) || !rec.Expired(wantCreated.Add(time.Hour)) {
		t.Fatal("Expired is wrong at the boundary (expired from expires_at on)")
	}
	body := []byte(`{"data":1}`)
	rec.Complete(7, idempotency.Response{Status: 200, Body: body})
	body[0] = 'X'
	got := rec.Response()
	if !rec.Completed() || got.Status != 200 || string(got.Body) != `{"data":1}` {
		t.Fatalf("got %d %q, want the body as completed, not the caller's buffer", got.Status, got.Body)
	}
	got.Body[0] = 'Y'
	if !bytes.Equal(rec.Response().Body, []byte(`{"data":1}`)) {
		t.Fatal("Response exposes the record's buffer")
	}
	if rec.OrderID() != 7 {
		t.Fatalf("got order id %d, want 7", rec.OrderID())
	}
	re := idempotency.Rehydrate(idempotency.Snapshot{Operation: idempotency.OpCreateOrder, Key: "k", Fingerprint: "fp", OrderID: 9,
		Response: idempotency.Response{Status: 201, Body: []byte("b")}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if re.Key() != key || re.Response().Status != 201 || !re.Completed() || re.CreatedAt().Location() != time.UTC || re.OrderID() != 9 {
		t.Fatal("Rehydrate lost a field")
	}
	if idempotency.Rehydrate(idempotency.Snapshot{Operation: idempotency.OpCreateOrder, Key: "k", Fingerprint: "fp", CreatedAt: now, ExpiresAt: now}).Completed() {
		t.Fatal("status 0 reads as completed")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  *errs.Error
		kind errs.Kind
		code string
	}{
		{idempotency.ErrKeyRequired, errs.KindInvalid, "idempotency_key_required"},
		{idempotency.ErrInvalidKey, errs.KindInvalid, "invalid_idempotency_key"},
		{idempotency.ErrKeyReused, errs.KindUnprocessable, "idempotency_key_reused"},
		{idempotency.ErrInProgress, errs.KindConflict, "idempotency_key_in_progress"},
		{idempotency.ErrNotFound, errs.KindNotFound, "idempotency_key_not_found"},
	} {
		if c.err.Kind() != c.kind || c.err.Code() != c.code {
			t.Errorf("got %v %s, want %v %s", c.err.Kind(), c.err.Code(), c.kind, c.code)
		}
	}
}
