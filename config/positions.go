package config

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2/unstable"
)

// path is a key path: table and key names, and "[i]" for the elements of
// arrays (site[0].route[2].static.root).
type path []string

func (p path) field(name string) path {
	q := make(path, len(p)+1)
	copy(q, p)
	q[len(p)] = name
	return q
}

func (p path) index(i int) path {
	return p.field("[" + strconv.Itoa(i) + "]")
}

// id is the path as a map key.
func (p path) id() string { return strings.Join(p, "\x00") }

// String writes the path as TOML would, quoting names that need it.
func (p path) String() string {
	var b strings.Builder
	for i, c := range p {
		switch {
		case strings.HasPrefix(c, "[") && strings.HasSuffix(c, "]"):
			b.WriteString(c)
			continue
		case i > 0:
			b.WriteByte('.')
		}
		if bareKey(c) {
			b.WriteString(c)
		} else {
			b.WriteString(strconv.Quote(c))
		}
	}
	return b.String()
}

func bareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maxDepth bounds the key paths indexed: the deepest the format goes is
// site[0].route[0].wsgi.env.NAME, and deeper values (nested arrays in a
// wrong file) are reported at their nearest indexed parent.
const maxDepth = 16

// place is a 1-based line and column (in characters).
type place struct{ line, col int }

// positions maps every key, table and array element of a document to the
// place it is written at.
type positions struct {
	at    map[string]place
	data  []byte
	lines []int // offset of each line's first byte
}

// lookup finds the place of p, or of the nearest table that holds it.
func (ps *positions) lookup(p path) (place, bool) {
	if ps == nil {
		return place{}, false
	}
	for q := p; len(q) > 0; q = q[:len(q)-1] {
		if pl, ok := ps.at[q.id()]; ok {
			return pl, true
		}
	}
	return place{}, false
}

// indexPositions walks the syntax tree of a document that go-toml has
// already decoded, recording where each key path is written. Array tables
// get their indices as the decoder counts them: [[site.route]] appends to
// the route array of the last [[site]].
func indexPositions(data []byte) *positions {
	ps := &positions{at: map[string]place{}, data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			ps.lines = append(ps.lines, i+1)
		}
	}
	arrays := map[string]int{} // array tables: path → elements so far
	var p unstable.Parser
	p.Reset(data)
	var cur path
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			cur = nil
			it := e.Key()
			for it.Next() {
				k := it.Node()
				cur = cur.field(string(k.Data))
				if it.IsLast() && e.Kind == unstable.ArrayTable {
					ps.mark(cur, ps.lineOf(int(k.Raw.Offset)))
					n := arrays[cur.id()]
					arrays[cur.id()] = n + 1
					cur = cur.index(n)
				} else if n, ok := arrays[cur.id()]; ok {
					cur = cur.index(n - 1)
				}
				ps.mark(cur, ps.lineOf(int(k.Raw.Offset)))
			}
		case unstable.KeyValue:
			ps.keyval(cur, e)
		}
	}
	return ps
}

func (ps *positions) keyval(base path, kv *unstable.Node) {
	p := base
	var pl place
	it := kv.Key()
	for first := true; it.Next(); first = false {
		k := it.Node()
		if first {
			pl = ps.placeOf(int(k.Raw.Offset))
		}
		p = p.field(string(k.Data))
		ps.mark(p, pl)
	}
	ps.value(p, kv.Value(), pl)
}

func (ps *positions) value(p path, v *unstable.Node, pl place) {
	if len(p) > maxDepth {
		return
	}
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				ps.keyval(p, c)
			}
		}
	case unstable.Array:
		i := 0
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			ep := p.index(i)
			i++
			cpl := pl
			if c.Kind != unstable.Array {
				cpl = ps.placeOf(int(c.Raw.Offset))
			}
			ps.mark(ep, cpl)
			ps.value(ep, c, cpl)
		}
	}
}

// mark records the first place a path appears at.
func (ps *positions) mark(p path, pl place) {
	if _, ok := ps.at[p.id()]; !ok {
		ps.at[p.id()] = pl
	}
}

// placeOf turns a byte offset into a line and a column.
func (ps *positions) placeOf(off int) place {
	if off > len(ps.data) {
		off = len(ps.data)
	}
	line := sort.Search(len(ps.lines), func(i int) bool { return ps.lines[i] > off })
	start := ps.lines[line-1]
	return place{line: line, col: utf8.RuneCount(ps.data[start:off]) + 1}
}

// lineOf is the place of the first character of the line holding off: the
// "[" of a table header.
func (ps *positions) lineOf(off int) place {
	pl := ps.placeOf(off)
	start := ps.lines[pl.line-1]
	col := 1
	for i := start; i < len(ps.data) && (ps.data[i] == ' ' || ps.data[i] == '\t'); i++ {
		col++
	}
	pl.col = col
	return pl
}
