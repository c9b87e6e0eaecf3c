package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Load reads and parses the configuration file at path (see Parse), then
// makes its relative paths (static roots, wsgi chdir, a python given as a
// path, the access log file) relative to the file's directory, so that the
// file means the same whatever the working directory.
func Load(path string) (*Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	o, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	o.resolve(filepath.Dir(path))
	return o, nil
}

// Parse decodes a configuration file, fills in the defaults and validates
// the result. filename is only used in messages. On any problem it
// returns no options and a *Errors with every problem found, each with its
// line: TOML syntax, unknown keys, values of the wrong type, and what
// Validate refuses. Relative paths are left as written.
func Parse(data []byte, filename string) (*Options, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte order mark some editors write
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		return nil, asError([]*Error{syntaxError(filename, err)})
	}
	d := &decoder{file: filename, pos: indexPositions(data)}
	o := d.options(tree)
	o.inherit()
	errs := d.errs
	broken := map[string]bool{}
	for _, e := range d.errs {
		if e.decoded {
			broken[e.key.id()] = true
		}
	}
	for _, e := range o.validate() {
		if !explained(e, broken) {
			errs = append(errs, e)
		}
	}
	if err := asError(errs); err != nil {
		return nil, err
	}
	return o, nil
}

func syntaxError(filename string, err error) *Error {
	e := &Error{File: filename, Message: strings.TrimPrefix(err.Error(), "toml: "), decoded: true}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		e.Line, e.Column = de.Position()
	}
	return e
}

// resolve makes relative paths relative to dir.
func (o *Options) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	switch o.Log.Access {
	case "off", "stderr", "stdout":
	default:
		abs(&o.Log.Access)
	}
	for i := range o.Sites {
		for j := range o.Sites[i].Routes {
			r := &o.Sites[i].Routes[j]
			if r.Static != nil {
				abs(&r.Static.Root)
			}
			if r.WSGI != nil {
				abs(&r.WSGI.Chdir)
				if strings.Contains(r.WSGI.Python, "/") {
					abs(&r.WSGI.Python)
				}
			}
		}
	}
}

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

func quoteKey(k string) string { return `"` + strings.ReplaceAll(k, `"`, `\"`) + `"` }

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

// size decodes a byte count: an integer, or a string such as "10MiB".
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
		if n, err = ParseSize(v); err != nil {
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

// duration decodes a positive Go duration string such as "30s".
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
	dur, err := time.ParseDuration(s)
	switch {
	case err != nil:
		t.d.errorf(t.path.field(key), "%s: %q is not a duration (write e.g. \"30s\", \"1m30s\", \"500ms\")", key, s)
	case dur <= 0:
		t.d.errorf(t.path.field(key), "%s must be positive, not %q", key, s)
	default:
		*dst = dur
	}
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

func (d *decoder) options(tree map[string]any) *Options {
	o := &Options{File: d.file, Server: newServer(), Log: newLog(), pos: d.pos}
	top := d.table(nil, "", tree)
	top.hints = map[string]string{}
	for _, k := range []string{"listen", "admin", "shutdown_timeout", "reload_grace", "backlog", "reuseport", "max_conns", "max_body"} {
		top.hints[k] = "it belongs in [server]"
	}
	top.hints["access"], top.hints["format"] = "it belongs in [log]", "it belongs in [log]"
	for _, k := range []string{"route", "routes"} {
		top.hints[k] = "routes belong to a site: write [[site]], then [[site.route]]"
	}
	top.hints["hosts"] = "hosts belong to a site: write [[site]] first"
	top.hints["sites"] = `did you mean "site"? write [[site]] for each one`
	if t, ok := top.sub("server", "[server]"); ok {
		d.server(t, &o.Server)
	}
	if t, ok := top.sub("log", "[log]"); ok {
		t.str("access", &o.Log.Access)
		t.str("format", &o.Log.Format)
		t.done()
	}
	for i, t := range top.tables("site", "[[site]]") {
		o.Sites = append(o.Sites, d.site(t, i))
	}
	top.done()
	return o
}

func (d *decoder) server(t *table, s *Server) {
	if list, _, ok := t.strings("listen"); ok {
		s.Listen = list
	}
	t.str("admin", &s.Admin)
	t.duration("shutdown_timeout", &s.ShutdownTimeout)
	t.duration("reload_grace", &s.ReloadGrace)
	t.integer("backlog", &s.Backlog, 1)
	t.boolean("reuseport", &s.ReusePort)
	t.integer("max_conns", &s.MaxConns, 0)
	t.size("max_body", &s.MaxBody, true)
	t.duration("read_header_timeout", &s.ReadHeaderTimeout)
	t.duration("read_timeout", &s.ReadTimeout)
	t.duration("write_timeout", &s.WriteTimeout)
	t.duration("idle_timeout", &s.IdleTimeout)
	t.done()
}

func (d *decoder) site(t *table, i int) Site {
	s := Site{}
	if pl, ok := d.pos.lookup(t.path); ok {
		s.Line = pl.line
	}
	hosts, present, ok := t.strings("hosts")
	switch {
	case !present:
		s.Default = true
	case ok && len(hosts) == 0:
		d.errorf(t.path.field("hosts"), `hosts is empty; leave it out, or write ["*"], for the default site`)
	case ok:
		for _, h := range hosts {
			if h == "*" {
				s.Default = true
				continue
			}
			s.Hosts = append(s.Hosts, normalizeHost(h))
		}
	}
	t.hints = map[string]string{}
	for _, k := range []string{"path", "static", "wsgi", "redirect", "respond", "handler", "headers", "timeout"} {
		t.hints[k] = fmt.Sprintf("%s belongs to a route: write [[site.route]] before it", k)
	}
	t.hints["routes"] = `did you mean "route"? write [[site.route]] for each one`
	for j, rt := range t.tables("route", "[[site.route]]") {
		s.Routes = append(s.Routes, d.route(rt, j))
	}
	t.done()
	return s
}

func (d *decoder) route(t *table, j int) Route {
	r := Route{}
	if pl, ok := d.pos.lookup(t.path); ok {
		r.Line = pl.line
	}
	t.str("path", &r.Path)
	if st, ok := t.sub("static", "static"); ok {
		v := newStatic()
		st.str("root", &v.Root)
		st.str("index", &v.Index)
		st.boolean("listing", &v.Listing)
		st.str("cache_control", &v.CacheControl)
		st.boolean("compress", &v.Compress)
		st.size("compress_min", &v.CompressMin, false)
		st.boolean("precompressed", &v.Precompressed)
		st.boolean("dotfiles", &v.Dotfiles)
		st.boolean("follow_symlinks", &v.FollowSymlinks)
		st.done()
		r.Static = &v
	}
	if wt, ok := t.sub("wsgi", "wsgi"); ok {
		r.WSGI = d.wsgi(wt, r.Path)
	}
	if rt, ok := t.sub("redirect", "redirect"); ok {
		v := newRedirect()
		rt.str("to", &v.To)
		rt.integer("status", &v.Status, 0)
		rt.boolean("keep_path", &v.KeepPath)
		rt.done()
		r.Redirect = &v
	}
	if rt, ok := t.sub("respond", "respond"); ok {
		v := newRespond()
		rt.integer("status", &v.Status, 0)
		rt.str("body", &v.Body)
		rt.str("content_type", &v.ContentType)
		rt.done()
		r.Respond = &v
	}
	if t.str("handler", &r.Handler) && r.Handler == "" {
		d.errorf(t.path.field("handler"), "handler is empty; give the name the program registered the handler under")
	}
	if _, given := t.m["handler"]; given && r.Handler == "" {
		r.Handler = "?" // reported above; still an action, so that no other error follows
	}
	if hs, ok := t.pairs("headers"); ok {
		r.Headers = []Header{}
		for _, h := range hs {
			r.Headers = append(r.Headers, Header{Name: h[0], Value: h[1]})
		}
	}
	t.size("max_body", &r.MaxBody, true)
	t.duration("timeout", &r.Timeout)
	t.done()
	return r
}

func (d *decoder) wsgi(t *table, routePath string) *WSGI {
	v := newWSGI(routePath)
	t.str("app", &v.App)
	t.str("chdir", &v.Chdir)
	t.str("python", &v.Python)
	t.integer("workers", &v.Workers, 0)
	if env, ok := t.pairs("env"); ok {
		v.Env = []string{}
		for _, kv := range env {
			v.Env = append(v.Env, kv[0]+"="+kv[1])
		}
	}
	t.str("mount", &v.Mount)
	t.duration("timeout", &v.Timeout)
	t.duration("start_timeout", &v.StartTimeout)
	t.duration("grace", &v.Grace)
	t.integer("max_requests", &v.MaxRequests, 0)
	t.integer("max_requests_jitter", &v.MaxRequestsJitter, 0)
	t.size("max_memory", &v.MaxMemory, false)
	t.integer("queue", &v.Queue, 1)
	t.duration("queue_timeout", &v.QueueTimeout)
	t.done()
	return &v
}

// closest suggests the known key nearest to a misspelt one, if any is
// near enough.
func closest(k string, known []string) string {
	best, bestD := "", 3
	if len(k) <= 3 {
		bestD = 2
	}
	for _, c := range known {
		if d := editDistance(strings.ToLower(k), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a swap of two
// neighbouring letters counting as one edit.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
