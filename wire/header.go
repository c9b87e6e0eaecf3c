package wire

// Field is one header field line: a name and a value with surrounding
// whitespace removed. For a parsed request both slices point into the read
// buffer; for a response they point into the Header's own arena.
type Field struct {
	Name  []byte
	Value []byte
}

// Header is an ordered list of fields. It keeps repeated fields as separate
// entries, in the order received, and compares names case-insensitively.
// The zero value is an empty header ready to use; Reset keeps the memory, so
// a Header reused across requests stops allocating once it has grown.
type Header struct {
	fields []Field
	arena  []byte
}

// Len returns the number of field lines.
func (h *Header) Len() int { return len(h.fields) }

// At returns the i-th field line; it panics if i is out of range.
func (h *Header) At(i int) Field { return h.fields[i] }

// Fields returns the field lines in order. The slice is owned by h.
func (h *Header) Fields() []Field { return h.fields }

// Reset empties h, keeping its memory for reuse.
func (h *Header) Reset() {
	h.fields = h.fields[:0]
	h.arena = h.arena[:0]
}

// Get returns the value of the first field named name, or nil.
func (h *Header) Get(name string) []byte {
	for i := range h.fields {
		if EqualFold(h.fields[i].Name, name) {
			return h.fields[i].Value
		}
	}
	return nil
}

// Has reports whether a field named name is present.
func (h *Header) Has(name string) bool {
	for i := range h.fields {
		if EqualFold(h.fields[i].Name, name) {
			return true
		}
	}
	return false
}

// Count returns how many field lines are named name.
func (h *Header) Count(name string) int {
	n := 0
	for i := range h.fields {
		if EqualFold(h.fields[i].Name, name) {
			n++
		}
	}
	return n
}

// Add appends a field line, copying name and value into h's arena.
func (h *Header) Add(name, value string) {
	start := len(h.arena)
	h.arena = append(h.arena, name...)
	mid := len(h.arena)
	h.arena = append(h.arena, value...)
	// Slicing after both appends keeps the two views on one backing array
	// even when the second append moved it.
	h.fields = append(h.fields, Field{Name: h.arena[start:mid:mid], Value: h.arena[mid:len(h.arena):len(h.arena)]})
}

// AddBytes is Add for byte slices.
func (h *Header) AddBytes(name, value []byte) {
	start := len(h.arena)
	h.arena = append(h.arena, name...)
	mid := len(h.arena)
	h.arena = append(h.arena, value...)
	h.fields = append(h.fields, Field{Name: h.arena[start:mid:mid], Value: h.arena[mid:len(h.arena):len(h.arena)]})
}

// Set replaces every field named name with one field holding value.
func (h *Header) Set(name, value string) {
	h.Del(name)
	h.Add(name, value)
}

// Del removes every field named name.
func (h *Header) Del(name string) {
	out := h.fields[:0]
	for _, f := range h.fields {
		if !EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	clear(h.fields[len(out):])
	h.fields = out
}

// appendView records a field whose slices already point into a buffer the
// caller keeps alive (the parser's read buffer), without copying.
func (h *Header) appendView(name, value []byte) {
	h.fields = append(h.fields, Field{Name: name, Value: value})
}

// Clone returns a deep copy of h that shares no memory with it.
func (h *Header) Clone() Header {
	var c Header
	n := 0
	for _, f := range h.fields {
		n += len(f.Name) + len(f.Value)
	}
	c.arena = make([]byte, 0, n)
	c.fields = make([]Field, 0, len(h.fields))
	for _, f := range h.fields {
		c.AddBytes(f.Name, f.Value)
	}
	return c
}
