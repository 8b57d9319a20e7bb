// Package bcrypt implements auth.PasswordChecker for the single configured operator with
// golang.org/x/crypto/bcrypt. The password is hashed once at start-up and only the hash is
// kept; the plain text is not stored.
package bcrypt

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	xbcrypt "golang.org/x/crypto/bcrypt"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// maxPasswordBytes is what bcrypt reads of a password; longer ones are refused rather than
// silently truncated.
const maxPasswordBytes = 72

// Cost is the bcrypt work factor.
type Cost int

// DefaultCost is bcrypt's default work factor; tests use MinCost to stay fast.
const (
	DefaultCost = Cost(xbcrypt.DefaultCost)
	MinCost     = Cost(xbcrypt.MinCost)
)

// PasswordChecker checks the operator's credentials.
type PasswordChecker struct {
	username []byte
	hash     []byte
	dummy    []byte // hash of a random password at the same cost, checked for unknown users
}

var _ auth.PasswordChecker = (*PasswordChecker)(nil)

// NewPasswordChecker hashes password for username. Passwords over 72 bytes are refused.
func NewPasswordChecker(username, password string, cost Cost) (*PasswordChecker, error) {
	if username == "" || password == "" {
		return nil, errors.New("bcrypt: the admin username and password must not be empty")
	}
	if len(password) > maxPasswordBytes {
		return nil, fmt.Errorf("bcrypt: the admin password must be at most %d bytes", maxPasswordBytes)
	}
	hash, err := xbcrypt.GenerateFromPassword([]byte(password), int(cost))
	if err != nil {
		return nil, fmt.Errorf("bcrypt: hash admin password: %w", err)
	}
	var random [32]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, fmt.Errorf("bcrypt: %w", err)
	}
	dummy, err := xbcrypt.GenerateFromPassword([]byte(hex.EncodeToString(random[:])[:maxPasswordBytes/2]), int(cost))
	if err != nil {
		return nil, fmt.Errorf("bcrypt: hash dummy password: %w", err)
	}
	return &PasswordChecker{username: []byte(username), hash: hash, dummy: dummy}, nil
}

// Check implements auth.PasswordChecker. Whether the username is unknown or the password
// wrong, it runs exactly one bcrypt comparison at the same cost (against a dummy hash for an
// unknown user), and compares the username in constant time, so the answer and its timing do
// not tell which part was wrong.
func (p *PasswordChecker) Check(_ context.Context, username, password string) bool {
	userOK := subtle.ConstantTimeCompare([]byte(username), p.username) == 1
	hash := p.dummy
	if userOK {
		hash = p.hash
	}
	pw := []byte(password)
	tooLong := len(pw) > maxPasswordBytes
	if tooLong {
		pw = pw[:maxPasswordBytes]
	}
	passOK := xbcrypt.CompareHashAndPassword(hash, pw) == nil
	return userOK && passOK && !tooLong
}
