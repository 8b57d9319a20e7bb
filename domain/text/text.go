// Package text is the one policy every text field a client sends must pass: customer names,
// emails and phones, product SKUs and names, and the search terms of both lists. One function
// decides, so that a character refused in one field is refused in all of them, in every store.
//
// The policy: valid UTF-8, and none of the characters that are invisible or that a database
// collation may ignore or treat specially: NUL and the other C0 controls (tab and newline
// included), DEL and the C1 controls, U+200B-U+200F (zero-width space, joiners, direction
// marks), U+2028/U+2029 (line and paragraph separators) and U+FEFF (byte order mark).
// Everything else, accents, CJK and emoji included, is allowed.
package text

import (
	"strings"
	"unicode/utf8"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Forbidden reports whether r may not appear in a text field.
func Forbidden(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0 controls (NUL included), DEL, C1 controls
		return true
	case r >= 0x200b && r <= 0x200f, r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}

// Check returns nil when s is valid UTF-8, holds no Forbidden character and has at most max
// characters; else a KindInvalid error that names field. Search terms go through Check as
// they are: their spaces are part of what is searched.
func Check(field, s string, max int) error {
	if err := characters(field, s); err != nil {
		return err
	}
	return length(field, s, max)
}

// Field checks the value of a stored field and returns it without its surrounding white
// space (spaces and the other Unicode spaces that are not Forbidden, such as U+00A0): the
// characters are checked as given, the length on what is kept. A required field must keep
// at least one character; an optional one may come out empty.
func Field(field, s string, max int, required bool) (string, error) {
	if err := characters(field, s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", errs.Invalid("%s is required and must not be blank", field)
	}
	if err := length(field, s, max); err != nil {
		return "", err
	}
	return s, nil
}

func characters(field, s string) error {
	if !utf8.ValidString(s) {
		return errs.Invalid("%s must be valid UTF-8", field)
	}
	if i := strings.IndexFunc(s, Forbidden); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return errs.Invalid("%s must not contain control or invisible characters (found %U)", field, r)
	}
	return nil
}

func length(field, s string, max int) error {
	if utf8.RuneCountInString(s) > max {
		return errs.Invalid("%s must be at most %d characters", field, max)
	}
	return nil
}

// MaxSearchLength bounds a search term: no searchable field (a name, an email, a SKU) is
// longer, so a longer term could never match.
const MaxSearchLength = 255

// Search checks a search term: Check with MaxSearchLength. The term is not trimmed.
func Search(s string) error { return Check("search", s, MaxSearchLength) }
