package httpkit_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

type line struct {
	ProductID *int64 `json:"product_id"`
	Qty       *int   `json:"qty"`
}

type Embedded struct {
	Note *string `json:"note"`
}

// nested has the shapes the services' DTOs use: pointers, a slice of structs behind a
// pointer, an embedded struct, raw JSON and a map.
type nested struct {
	Embedded
	CustomerID *int64             `json:"customer_id"`
	Items      *[]line            `json:"items"`
	Raw        json.RawMessage    `json:"raw"`
	Labels     map[string]string  `json:"labels"`
	Opts       map[string]options `json:"opts"`
	Untagged   *bool
}

type options struct {
	On bool `json:"on"`
}

func decodeNested(t *testing.T, in string) error {
	t.Helper()
	var dst nested
	return httpkit.Decode(jsonRequest(strings.NewReader(in)), &dst)
}

// TestDecodeRefusesFieldNamesOnlyMatchingIgnoringCase: encoding/json matches keys to fields
// ignoring case and keeps the last of repeated keys; the contract's strict decoding refuses
// both, at every depth.
func TestDecodeRefusesFieldNamesOnlyMatchingIgnoringCase(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"NOTE":"x"}`,
		`{"Customer_ID":1}`,
		`{"items":[{"product_id":1,"qty":1},{"Product_Id":2,"qty":1}]}`,
		`{"opts":{"a":{"ON":true}}}`,
		`{"untagged":true}`,
		`{"customer_id":1,"customer_id":2}`,
		`{"items":[{"qty":1,"qty":2}]}`,
		`{"raw":{"a":1,"a":2}}`,
		`{"labels":{"k":"a","k":"b"}}`,
		`{"customer_id":1,"CUSTOMER_ID":2}`,
	} {
		err := decodeNested(t, in)
		if errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("Decode(%s): got %v, want an invalid-request error", in, err)
		}
	}
	for _, in := range []string{
		`{"note":"x","customer_id":1,"items":[{"product_id":1,"qty":1}],"raw":{"Any":[1,{"b":2}]},"labels":{"K":"v","k":"v"},"opts":{"a":{"on":true}},"Untagged":false}`,
		`{"items":null,"raw":1e400,"customer_id":null}`,
		`{"items":[]}`,
		`{}`,
	} {
		if err := decodeNested(t, in); err != nil {
			t.Errorf("Decode(%s): got %v, want nil", in, err)
		}
	}
}

// field records, like the services' PATCH fields, whether it was present and whether it
// was null (a json.Unmarshaler the decoder cannot see into).
type field[T any] struct {
	set, null bool
	value     T
}

func (f *field[T]) UnmarshalJSON(b []byte) error {
	f.set, f.null = true, string(b) == "null"
	if f.null {
		return nil
	}
	return json.Unmarshal(b, &f.value)
}

type patch struct {
	SKU   json.RawMessage `json:"sku"`
	Name  field[string]   `json:"name"`
	Stock field[int]      `json:"stock"`
}

// TestDecodeHostileInputs holds each class of hostile body to the message a client gets
// (all are 400 invalid_request), at every depth the services' DTOs have: nested structs,
// array elements, raw JSON, maps and custom unmarshalers. Bodies with invalid UTF-8 or an
// unpaired surrogate escape were accepted before JSON v2 (stored with U+FFFD in their place).
func TestDecodeHostileInputs(t *testing.T) {
	t.Parallel()
	const notJSON = "request body is not valid JSON"
	deep := func(n int) string { return `{"raw":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}` }
	for _, c := range []struct {
		class, in string
		dst       func() any
		want      string // "" when the body must decode
	}{
		{"duplicate, top", `{"customer_id":1,"customer_id":2}`, nil, `field "customer_id" appears more than once`},
		{"duplicate, array element", `{"items":[{"qty":1,"qty":2}]}`, nil, `field "qty" appears more than once`},
		{"duplicate, raw JSON", `{"raw":{"a":{"b":1,"b":2}}}`, nil, `field "b" appears more than once`},
		{"duplicate, map", `{"labels":{"k":"a","k":"b"}}`, nil, `field "k" appears more than once`},
		{"duplicate, custom unmarshaler", `{"name":"a","name":"b"}`, newPatch, `field "name" appears more than once`},
		{"duplicate, escaped spelling", `{"customer_id":1,"customer_\u0069d":2}`, nil, `field "customer_id" appears more than once`},
		{"case folded, top", `{"Customer_ID":1}`, nil, `unknown field "Customer_ID"`},
		{"case folded, array element", `{"items":[{"QTY":1}]}`, nil, `unknown field "QTY"`},
		{"case folded, embedded", `{"NOTE":"x"}`, nil, `unknown field "NOTE"`},
		{"case folded, Kelvin sign", "{\"customer_\u212a\":1}", nil, "unknown field \"customer_\u212a\""},
		{"unknown, top", `{"admin":true}`, nil, `unknown field "admin"`},
		{"unknown, array element", `{"items":[{"qty":1,"price":0}]}`, nil, `unknown field "price"`},
		{"trailing value", `{} {}`, nil, "request body must hold a single JSON value"},
		{"trailing garbage", `{}x`, nil, "request body must hold a single JSON value"},
		{"empty", ``, nil, "request body is empty"},
		{"whitespace only", " \n", nil, "request body is empty"},
		{"truncated", `{"customer_id":1`, nil, notJSON},
		{"trailing comma", `{"customer_id":1,}`, nil, notJSON},
		{"byte order mark", "\xef\xbb\xbf{}", nil, notJSON},
		{"invalid UTF-8 in a value", "{\"name\":\"a\xffb\"}", newPatch, notJSON},
		{"invalid UTF-8 in a name", "{\"customer_id\xff\":1}", nil, notJSON},
		{"unpaired surrogate escape", `{"name":"\ud800"}`, newPatch, notJSON},
		{"raw control character", "{\"name\":\"a\x01\"}", newPatch, notJSON},
		{"NaN", `{"customer_id":NaN}`, nil, notJSON},
		{"leading zero", `{"customer_id":01}`, nil, notJSON},
		{"nesting past 10000", deep(10001), nil, notJSON},
		{"int64 overflow", `{"customer_id":9223372036854775808}`, nil, `field "customer_id" has the wrong type`},
		{"1e400 into an int", `{"customer_id":1e400}`, nil, `field "customer_id" has the wrong type`},
		{"1e400 through a custom unmarshaler", `{"stock":1e400}`, newPatch, `field "stock" has the wrong type`},
		{"fraction into an int", `{"customer_id":1.5}`, nil, `field "customer_id" has the wrong type`},
		{"exponent into an int", `{"customer_id":1e2}`, nil, `field "customer_id" has the wrong type`},
		{"string into an int", `{"customer_id":"1"}`, nil, `field "customer_id" has the wrong type`},
		{"string into an int, array element", `{"items":[{"qty":"1"}]}`, nil, `field "items.qty" has the wrong type`},
		{"object into a slice", `{"items":{}}`, nil, `field "items" has the wrong type`},
		{"array at the top", `[]`, nil, "request body has the wrong type"},
		{"null at the top", `null`, nil, ""},
		{"null into pointers and slices", `{"customer_id":null,"items":[null]}`, nil, ""},
		{"null into a custom unmarshaler", `{"name":null,"sku":null}`, newPatch, ""},
		{"NUL escape (the domain refuses it)", `{"name":"a\u0000"}`, newPatch, ""},
		{"1e400 kept as raw JSON", `{"raw":1e400}`, nil, ""},
		{"nesting at 9990", deep(9990), nil, ""},
	} {
		dst := any(&nested{})
		if c.dst != nil {
			dst = c.dst()
		}
		err := httpkit.Decode(jsonRequest(strings.NewReader(c.in)), dst)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: Decode(%q) = %v, want nil", c.class, c.in, err)
		case c.want != "" && (errs.KindOf(err) != errs.KindInvalid || err.Error() != c.want):
			t.Errorf("%s: Decode(%q) = %v (%v), want the invalid-request error %q", c.class, c.in, err, errs.KindOf(err), c.want)
		}
	}
}

// TestDecodeNullsAreSeen: null reaches a custom unmarshaler and raw JSON as null (the
// services tell "absent" from "null" and refuse a null sku on PATCH).
func TestDecodeNullsAreSeen(t *testing.T) {
	t.Parallel()
	var p patch
	if err := httpkit.Decode(jsonRequest(strings.NewReader(`{"name":null,"sku":null}`)), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Name.set || !p.Name.null || string(p.SKU) != "null" || p.Stock.set {
		t.Fatalf("got %+v, want name set and null, sku the raw null, stock absent", p)
	}
}

func newPatch() any { return &patch{} }

// FuzzDecodeExactFieldNames: whatever Decode accepts uses only the exact field names of the
// destination, each at most once per object.
func FuzzDecodeExactFieldNames(f *testing.F) {
	for _, s := range []string{`{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, `{"CUSTOMER_ID":1}`, `{"note":"a","note":"b"}`,
		`{"items":[{"QTY":1}]}`, `{"labels":{"a":"b"}}`, `{"raw":{"x":1}}`, `{"Untagged":true}`} {
		f.Add([]byte(s))
	}
	allowed := map[string]bool{"note": true, "customer_id": true, "items": true, "raw": true, "labels": true, "opts": true,
		"Untagged": true, "product_id": true, "qty": true, "on": true}
	f.Fuzz(func(t *testing.T, b []byte) {
		var dst nested
		err := httpkit.Decode(jsonRequest(bytes.NewReader(b)), &dst)
		if err != nil {
			if k := errs.KindOf(err); k != errs.KindInvalid && k != httperr.KindTooLarge {
				t.Fatalf("body %q: got unclassified error %v", b, err)
			}
			return
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(b, &top); err != nil {
			return // null: nothing decoded
		}
		for k, v := range top {
			if !allowed[k] {
				t.Fatalf("body %q: accepted the key %q", b, k)
			}
			if k != "items" {
				continue
			}
			var items []map[string]json.RawMessage
			_ = json.Unmarshal(v, &items)
			for _, it := range items {
				for ik := range it {
					if ik != "product_id" && ik != "qty" {
						t.Fatalf("body %q: accepted the item key %q", b, ik)
					}
				}
			}
		}
	})
}
