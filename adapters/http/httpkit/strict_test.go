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
