package text_test

import (
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/text"
)

// hostile are values the policy refuses in every field, each for one reason.
var hostile = map[string]string{
	"NUL":                 "a\x00b",
	"tab":                 "a\tb",
	"newline":             "a\nb",
	"escape":              "a\x1bb",
	"DEL":                 "a\x7fb",
	"C1 NEL":              "a\u0085b",
	"C1 CSI":              "a\u009bb",
	"zero-width space":    "a\u200bb",
	"zero-width joiner":   "a\u200db",
	"right-to-left mark":  "a\u200fb",
	"line separator":      "a\u2028b",
	"paragraph separator": "a\u2029b",
	"byte order mark":     "\ufeff",
	"BOM inside":          "a\ufeffb",
	"invalid UTF-8":       "a\xffb",
	"lone surrogate":      "a\xed\xa0\x80b",
	"truncated sequence":  "a\xf0\x9f\x98",
}

func TestCheckRefusesHostileText(t *testing.T) {
	t.Parallel()
	for name, s := range hostile {
		if err := text.Check("name", s, 255); errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("Check(%s %q): got %v, want an invalid request", name, s, err)
		}
		if _, err := text.Field("name", s, 255, false); errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("Field(%s %q): got %v, want an invalid request", name, s, err)
		}
	}
}

func TestCheckAcceptsVisibleText(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "ACME", "Café Ñandú", "e\u0301", "日本語", "\U0001F600\U0001F355", `100% a_b \ 'q' "d"`,
		"a\u00a0b", "\u202ertl override", "a\u2060b", "soft\u00adhyphen", "\uFFFD",
	} {
		if err := text.Check("search", s, 255); err != nil {
			t.Errorf("Check(%q): got %v, want nil", s, err)
		}
	}
}

func TestCheckCountsCharactersNotBytes(t *testing.T) {
	t.Parallel()
	if err := text.Check("name", strings.Repeat("\U0001F600", 3), 3); err != nil {
		t.Errorf("3 emoji, max 3: got %v, want nil", err)
	}
	if err := text.Check("name", strings.Repeat("a", 4), 3); errs.KindOf(err) != errs.KindInvalid {
		t.Errorf("4 characters, max 3: got %v, want an invalid request", err)
	}
}

func TestField(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in       string
		max      int
		required bool
		want     string
		wantErr  bool
	}{
		{in: "  ACME ", max: 4, required: true, want: "ACME"},
		{in: "\u00a0ACME\u3000", max: 4, required: true, want: "ACME"},
		{in: "   ", max: 4, required: false, want: ""},
		{in: "   ", max: 4, required: true, wantErr: true},
		{in: "", max: 4, required: true, wantErr: true},
		{in: "\u00a0", max: 4, required: true, wantErr: true},
		{in: " ACME\t", max: 10, required: true, wantErr: true}, // a tab is refused, not trimmed
		{in: "ACMEX", max: 4, required: true, wantErr: true},
	} {
		got, err := text.Field("name", tt.in, tt.max, tt.required)
		if tt.wantErr {
			if errs.KindOf(err) != errs.KindInvalid {
				t.Errorf("Field(%q, %d, %v): got %q, %v, want an invalid request", tt.in, tt.max, tt.required, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Field(%q, %d, %v): got %q, %v, want %q", tt.in, tt.max, tt.required, got, err, tt.want)
		}
	}
}
