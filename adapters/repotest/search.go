package repotest

import (
	"slices"
	"testing"
)

// collationTraps are names that a database collation's notion of equality (accents,
// full-width forms, canonical equivalence, expansions, emoji weights) would match with
// searches that they do not literally contain. Both lists search literal substrings,
// ignoring case only, so each search below finds exactly the names listed, in every store.
var collationTraps = []string{"Café Crème", "Cafe Creme", "ＡＣＭＥ fw", "Straße", "Pizza \U0001F355", "Combining e\u0301", "İstanbul"}

var collationSearches = []struct {
	search string
	want   []int // indexes into collationTraps
}{
	{"cafe", []int{1}},
	{"CAFÉ", []int{0}},
	{"café CRÈME", []int{0}},
	{"acme fw", nil},
	{"ａｃｍｅ", []int{2}},
	{"strasse", nil},
	{"STRASSE", nil},
	{"STRAßE", []int{3}},
	{"pizza \U0001F355", []int{4}},
	{"pizza \U0001F354", nil},
	{"pizza \U0001F600", nil},
	{"combining e\u0301", []int{5}},
	{"combining \u00e9", nil},
	{"combining e", []int{5}},
	{"istanbul", []int{6}}, // İ lower-cases to i (simple case mapping, one character for one)
}

// testCollationTraps stores collationTraps, each after tok and a space, with create and
// checks every collationSearches term, after tok and a space, with search; both return ids.
func testCollationTraps(t *testing.T, tok string, create func(name string) int64, search func(term string) []int64) {
	t.Helper()
	ids := make([]int64, len(collationTraps))
	for i, name := range collationTraps {
		ids[i] = create(tok + " " + name)
	}
	for _, s := range collationSearches {
		want := []int64{}
		for _, i := range s.want {
			want = append(want, ids[i])
		}
		if got := search(tok + " " + s.search); !slices.Equal(got, want) {
			t.Errorf("search %q: got ids %v, want %v (of %v)", s.search, got, want, ids)
		}
	}
}
