package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/units"
)

// decoder turns the tree go-toml decoded into Options, reporting unknown
// keys and values of the wrong type with their places.
type decoder struct {
	file string
	pos  *positions
	errs []*Error

	// keys, when not nil, records every key asked for by table name, and
	// whether some table of that name had it (a test hook: example.toml
	// must show every key).
	keys map[string]map[string]bool
}

func (d *decoder) newError(p path, format string, args ...any) *Error {
	e := &Error{File: d.file, Key: p.String(), Message: fmt.Sprintf(format, args...), key: p}
	if pl, ok := d.pos.lookup(p); ok {
		e.Line, e.Column = pl.line, pl.col
	}
	return e
}

// errorf reports a value that cannot be used; Validate's findings at or
// below it are then left out, being consequences of it.
func (d *decoder) errorf(p path, format string, args ...any) {
	e := d.newError(p, format, args...)
	e.decoded = true
	d.errs = append(d.errs, e)
}

// explained reports whether a problem Validate found lies at or below a
// value the decoder already reported (broken holds their path ids).
func explained(e *Error, broken map[string]bool) bool {
	for n := len(e.key); n > 0; n-- {
		if broken[e.key[:n].id()] {
			return true
		}
	}
	return false
}

// table is one TOML table being decoded: it remembers which keys were
// asked for, so that the others can be reported as unknown.
type table struct {
	d     *decoder
	path  path
	name  string // for messages: "[server]", "[[site.route]]", "static"; "" at the top
	m     map[string]any
	asked []string
	hints map[string]string // unknown key → where it belongs
}

func (d *decoder) table(p path, name string, m map[string]any) *table {
	return &table{d: d, path: p, name: name, m: m}
}

func (t *table) get(key string) (any, bool) {
	t.asked = append(t.asked, key)
	v, ok := t.m[key]
	if t.d.keys != nil {
		if t.d.keys[t.name] == nil {
			t.d.keys[t.name] = map[string]bool{}
		}
		t.d.keys[t.name][key] = t.d.keys[t.name][key] || ok
	}
	return v, ok
}

// done reports the keys nobody asked for, in file order.
func (t *table) done() {
	var unknown []string
	for k := range t.m {
		if !slices.Contains(t.asked, k) {
			unknown = append(unknown, k)
		}
	}
	t.d.sortByPlace(t.path, unknown)
	for _, k := range unknown {
		where := "in " + t.name
		if t.name == "" {
			where = "at the top level"
		}
		msg := fmt.Sprintf("unknown key %s %s", quoteKey(k), where)
		if h, ok := t.hints[k]; ok {
			msg += "; " + h
		} else if s := closest(k, t.asked); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", quoteKey(s))
		} else {
			msg += "; known keys: " + strings.Join(t.asked, ", ")
		}
		t.d.errs = append(t.d.errs, t.d.newError(t.path.field(k), "%s", msg))
	}
}

// sortByPlace orders the keys of the table at p as they are written.
func (d *decoder) sortByPlace(p path, keys []string) {
	slices.SortFunc(keys, func(a, b string) int {
		pa, _ := d.pos.lookup(p.field(a))
		pb, _ := d.pos.lookup(p.field(b))
		if pa.line != pb.line {
			return pa.line - pb.line
		}
		if pa.col != pb.col {
			return pa.col - pb.col
		}
		return strings.Compare(a, b)
	})
}

// typeName names a decoded TOML value's type for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a date or time"
	}
}

func (t *table) str(key string, dst *string) bool {
	v, ok := t.get(key)
	if !ok {
		return false
	}
	s, isStr := v.(string)
	if !isStr {
		t.d.errorf(t.path.field(key), "%s must be a string, not %s", key, typeName(v))
		return false
	}
	*dst = s
	return true
}

func (t *table) boolean(key string, dst *bool) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		t.d.errorf(t.path.field(key), "%s must be true or false, not %s", key, typeName(v))
		return
	}
	*dst = b
}

// integer decodes a TOML integer that fits an int and is at least min.
func (t *table) integer(key string, dst *int, min int) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	n, isInt := v.(int64)
	switch {
	case !isInt:
		t.d.errorf(t.path.field(key), "%s must be an integer, not %s", key, typeName(v))
	case n < int64(min) || n > 1<<31-1:
		t.d.errorf(t.path.field(key), "%s must be between %d and %d, not %d", key, min, 1<<31-1, n)
	default:
		*dst = int(n)
	}
}

// size decodes a byte count: an integer, or a string such as "10MiB"
// (units.ParseSize, as the flags take it).
func (t *table) size(key string, dst *int64, positive bool) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case string:
		var err error
		if n, err = units.ParseSize(v); err != nil {
			t.d.errorf(t.path.field(key), "%s: %v", key, err)
			return
		}
	default:
		t.d.errorf(t.path.field(key), "%s must be a size such as \"10MiB\" or a number of bytes, not %s", key, typeName(v))
		return
	}
	switch {
	case n < 0:
		t.d.errorf(t.path.field(key), "%s must not be negative", key)
	case n == 0 && positive:
		t.d.errorf(t.path.field(key), "%s must be at least 1 byte; leave it out for the default", key)
	default:
		*dst = n
	}
}

// duration decodes a duration string such as "30s", or a number of
// seconds as a string ("30"), as the flags take it (units.ParseDuration).
// Whether zero is allowed is the setting's own to say (Validate).
func (t *table) duration(key string, dst *time.Duration) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		if n, isInt := v.(int64); isInt {
			t.d.errorf(t.path.field(key), "%s must be a duration string such as \"%ds\", not an integer", key, n)
		} else {
			t.d.errorf(t.path.field(key), "%s must be a duration string such as \"30s\", not %s", key, typeName(v))
		}
		return
	}
	dur, err := units.ParseDuration(s)
	if err != nil {
		t.d.errorf(t.path.field(key), "%s: %v", key, err)
		return
	}
	*dst = dur
}

// strings decodes a string or an array of strings; present reports
// whether the key was given, ok whether it was usable.
func (t *table) strings(key string) (list []string, present, ok bool) {
	v, present := t.get(key)
	if !present {
		return nil, false, false
	}
	switch v := v.(type) {
	case string:
		return []string{v}, true, true
	case []any:
		for i, e := range v {
			s, isStr := e.(string)
			if !isStr {
				t.d.errorf(t.path.field(key).index(i), "%s must hold strings, not %s", key, typeName(e))
				return nil, true, false
			}
			list = append(list, s)
		}
		return list, true, true
	}
	t.d.errorf(t.path.field(key), "%s must be a string or an array of strings, not %s", key, typeName(v))
	return nil, true, false
}

// sub decodes a table-valued key. A value of another type is reported and
// yields an empty table, so the caller still sees the key as given.
func (t *table) sub(key, name string) (*table, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	m, isTable := v.(map[string]any)
	if !isTable {
		t.d.errorf(t.path.field(key), "%s must be a table, not %s", key, typeName(v))
	}
	return t.d.table(t.path.field(key), name, m), true
}

// tables decodes an array of tables ([[site]] or site = [{...}]).
func (t *table) tables(key, name string) []*table {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	p := t.path.field(key)
	list, isArray := v.([]any)
	if !isArray {
		if _, isTable := v.(map[string]any); isTable {
			t.d.errorf(p, "%s is a single table; write [[%s]] for each one", key, strings.Trim(name, "[]"))
		} else {
			t.d.errorf(p, "%s must be an array of tables ([[%s]]), not %s", key, strings.Trim(name, "[]"), typeName(v))
		}
		return nil
	}
	var out []*table
	for i, e := range list {
		m, isTable := e.(map[string]any)
		if !isTable {
			t.d.errorf(p.index(i), "%s must hold tables, not %s", key, typeName(e))
			continue
		}
		out = append(out, t.d.table(p.index(i), name, m))
	}
	return out
}

// pairs decodes a table of string values (headers, env) in file order.
func (t *table) pairs(key string) ([][2]string, bool) {
	sub, ok := t.sub(key, key)
	if !ok || sub.m == nil {
		return nil, ok
	}
	keys := make([]string, 0, len(sub.m))
	for k := range sub.m {
		keys = append(keys, k)
	}
	t.d.sortByPlace(sub.path, keys)
	var out [][2]string
	for _, k := range keys {
		s, isStr := sub.m[k].(string)
		if !isStr {
			t.d.errorf(sub.path.field(k), "%s: the value of %s must be a string, not %s", key, k, typeName(sub.m[k]))
			continue
		}
		out = append(out, [2]string{k, s})
	}
	return out, true
}
