package bcrypt

import (
	"testing"

	xbcrypt "golang.org/x/crypto/bcrypt"
)

// TestUnknownUserCostsTheSameWork: the hash an unknown user is compared against has the
// operator's hash's cost, so the one comparison Check runs takes the same work either way.
func TestUnknownUserCostsTheSameWork(t *testing.T) {
	t.Parallel()
	for _, cost := range []Cost{MinCost, MinCost + 1} {
		p, err := NewPasswordChecker("admin", "admin123", cost)
		if err != nil {
			t.Fatal(err)
		}
		real, err := xbcrypt.Cost(p.hash)
		if err != nil {
			t.Fatal(err)
		}
		dummy, err := xbcrypt.Cost(p.dummy)
		if err != nil {
			t.Fatal(err)
		}
		if real != int(cost) || dummy != real {
			t.Fatalf("cost %d: got the operator's hash at %d and the unknown user's at %d, want both %d", cost, real, dummy, cost)
		}
	}
}
