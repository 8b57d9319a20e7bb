package orders

import (
	"reflect"
	"testing"

	"github.com/b2b-backoffice/backoffice/domain/order"
)

// TestCreateOrderFingerprintCoversEveryField changes each field of CreateOrder and of its
// lines, one at a time, and wants another fingerprint: a field added to the request and
// forgotten by fingerprint would let a key replay the answer of a different request.
func TestCreateOrderFingerprintCoversEveryField(t *testing.T) {
	t.Parallel()
	notInFingerprint := map[string]bool{"Key": true, "Encode": true}
	base := CreateOrder{CustomerID: 3, Lines: []order.Line{{ProductID: 5, Qty: 2}}}
	fp := func(cmd CreateOrder) string {
		t.Helper()
		lines, err := order.Merge(cmd.Lines)
		if err != nil {
			t.Fatalf("merge %+v: %v", cmd.Lines, err)
		}
		return cmd.fingerprint(lines)
	}
	want := fp(base)
	cmdType := reflect.TypeOf(base)
	for i := range cmdType.NumField() {
		f := cmdType.Field(i)
		if notInFingerprint[f.Name] {
			continue
		}
		if f.Name == "Lines" {
			lineType := reflect.TypeOf(order.Line{})
			for j := range lineType.NumField() {
				changed := base
				changed.Lines = []order.Line{base.Lines[0]}
				vary(t, reflect.ValueOf(&changed.Lines[0]).Elem().Field(j), "Line."+lineType.Field(j).Name)
				if fp(changed) == want {
					t.Errorf("changing Line.%s keeps the fingerprint: add it to CreateOrder.fingerprint", lineType.Field(j).Name)
				}
			}
			continue
		}
		changed := base
		vary(t, reflect.ValueOf(&changed).Elem().Field(i), f.Name)
		if fp(changed) == want {
			t.Errorf("changing %s keeps the fingerprint: add it to CreateOrder.fingerprint (or to notInFingerprint, saying why)", f.Name)
		}
	}
}

// vary changes v, a field of a request, to another valid value.
func vary(t *testing.T, v reflect.Value, name string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.String:
		v.SetString(v.String() + "x")
	default:
		t.Fatalf("field %s (%s): the test does not know how to change it; teach vary and the fingerprint", name, v.Type())
	}
}
