package httpkit

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// checkFieldNames walks the JSON value in b along dst's type and refuses what encoding/json
// lets through although the contract's strict decoding must not:
//
//   - a key that names a field only when case is ignored (encoding/json matches "NAME" and
//     "nAmE" to the field "name", so an unknown spelling was silently accepted);
//   - a key that appears twice in one object (encoding/json keeps the last one, so two
//     parsers of one body could disagree about its meaning).
//
// Values behind a json.Unmarshaler, an interface or a json.RawMessage are not described by
// a Go type; only their duplicate keys are checked. b must already be known to be one valid
// JSON value (Decode calls it after decoding succeeded).
func checkFieldNames(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are skipped, never converted: 1e400 must not fail here
	if err := walkValue(dec, reflect.TypeOf(dst)); err != nil {
		if errs.KindOf(err) == errs.KindInvalid {
			return err
		}
		return errs.Invalid("request body is not valid JSON")
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// described returns t without pointers, or nil when its JSON shape is not known from t
// alone (custom unmarshalers, interfaces, json.RawMessage).
func described(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
			t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

func walkValue(dec *json.Decoder, t reflect.Type) error {
	t = described(t)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch delim {
	case '{':
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = structFields(t)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key] {
				return errs.Invalid("field %q appears more than once", key)
			}
			seen[key] = true
			var child reflect.Type
			switch {
			case fields != nil:
				ft, ok := fields[key]
				if !ok {
					return errs.Invalid("unknown field %q", key)
				}
				child = ft
			case t != nil && t.Kind() == reflect.Map:
				child = t.Elem()
			}
			if err := walkValue(dec, child); err != nil {
				return err
			}
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkValue(dec, elem); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// fieldCache memoizes structFields per DTO type (reflect.Type -> map[string]reflect.Type), as
// encoding/json caches its own field lists: it holds no request data and only grows with the
// number of DTO types, so it is the one package-level mutable value kept on purpose.
var fieldCache sync.Map

// structFields maps the exact JSON names of t's fields (tags, else Go names; embedded
// structs without a tag promote theirs, a shallower field winning) to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(m, t, 0)
	fieldCache.Store(t, m)
	return m
}

func addFields(m map[string]reflect.Type, t reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	for _, et := range embedded {
		inner := map[string]reflect.Type{}
		addFields(inner, et, depth+1)
		for k, v := range inner {
			if _, taken := m[k]; !taken {
				m[k] = v
			}
		}
	}
}
