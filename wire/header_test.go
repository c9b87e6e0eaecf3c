package wire

import (
	"reflect"
	"testing"
)

func fieldStrings(h *Header) []string {
	var out []string
	for _, f := range h.Fields() {
		out = append(out, string(f.Name)+": "+string(f.Value))
	}
	return out
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name string
		do   func(h *Header)
		want []string
	}{
		{"zero value", func(h *Header) {}, nil},
		{"Add keeps order and repeats", func(h *Header) {
			h.Add("A", "1")
			h.Add("B", "2")
			h.Add("a", "3")
		}, []string{"A: 1", "B: 2", "a: 3"}},
		{"AddBytes", func(h *Header) {
			h.AddBytes([]byte("X"), []byte("y"))
		}, []string{"X: y"}},
		{"Set replaces every match, in any case", func(h *Header) {
			h.Add("A", "1")
			h.Add("B", "2")
			h.Add("a", "3")
			h.Set("A", "4")
		}, []string{"B: 2", "A: 4"}},
		{"Set on a missing name adds", func(h *Header) {
			h.Set("A", "1")
		}, []string{"A: 1"}},
		{"Del removes every match, in any case", func(h *Header) {
			h.Add("Cookie", "1")
			h.Add("X", "2")
			h.Add("COOKIE", "3")
			h.Del("cookie")
		}, []string{"X: 2"}},
		{"Del on a missing name", func(h *Header) {
			h.Add("X", "2")
			h.Del("Y")
		}, []string{"X: 2"}},
		{"Del on the zero value", func(h *Header) {
			h.Del("Y")
		}, nil},
		{"Reset then reuse", func(h *Header) {
			h.Add("A", "1")
			h.Reset()
			h.Add("B", "2")
		}, []string{"B: 2"}},
		{"an Add after growth leaves earlier fields intact", func(h *Header) {
			h.Add("A", "1")
			for range 100 {
				h.Add("Filler", "0123456789")
			}
			h.Del("Filler")
			h.Add("B", "2")
		}, []string{"A: 1", "B: 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Header
			tc.do(&h)
			if got := fieldStrings(&h); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if h.Len() != len(tc.want) {
				t.Fatalf("Len = %d, want %d", h.Len(), len(tc.want))
			}
		})
	}
}

func TestHeaderLookup(t *testing.T) {
	var h Header
	h.Add("Content-Type", "text/html")
	h.Add("Accept", "a")
	h.Add("accept", "b")
	h.Add("Empty", "")
	tests := []struct {
		name      string
		get       string
		want      string
		wantNil   bool
		wantCount int
	}{
		{name: "exact case", get: "Content-Type", want: "text/html", wantCount: 1},
		{name: "lower case", get: "content-type", want: "text/html", wantCount: 1},
		{name: "upper case", get: "CONTENT-TYPE", want: "text/html", wantCount: 1},
		{name: "first of repeats", get: "ACCEPT", want: "a", wantCount: 2},
		{name: "empty value is present", get: "empty", want: "", wantCount: 1},
		{name: "missing", get: "Content-Length", wantNil: true},
		{name: "prefix is not a match", get: "Content", wantNil: true},
		// '-' and '\r' differ only in bit 0x20, like letters; folding
		// must not make them equal.
		{name: "non-letters do not fold", get: "Content\rType", wantNil: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := h.Get(tc.get)
			if (got == nil) != tc.wantNil || string(got) != tc.want {
				t.Fatalf("Get(%q) = %q (nil %v), want %q (nil %v)", tc.get, got, got == nil, tc.want, tc.wantNil)
			}
			if h.Has(tc.get) == tc.wantNil {
				t.Fatalf("Has(%q) = %v", tc.get, !tc.wantNil)
			}
			if n := h.Count(tc.get); n != tc.wantCount {
				t.Fatalf("Count(%q) = %d, want %d", tc.get, n, tc.wantCount)
			}
		})
	}
}

// TestHeaderClone checks that a clone shares no memory with the original:
// not with its arena, and not with a read buffer a parsed Header points to.
func TestHeaderClone(t *testing.T) {
	buf := []byte("GET / HTTP/1.1\r\nHost: h\r\nX: original\r\n\r\n")
	var (
		p RequestParser
		r RequestHead
	)
	if _, err := p.Parse(&r, buf, nil); err != nil {
		t.Fatal(err)
	}
	r.Header.Add("Added", "v")
	c := r.Header.Clone()

	for i := range buf {
		buf[i] = 'Z'
	}
	r.Header.Set("Added", "changed")
	r.Header.Add("More", "m")
	r.Header.Reset()
	r.Header.Add("Other", "o")

	want := []string{"Host: h", "X: original", "Added: v"}
	if got := fieldStrings(&c); !reflect.DeepEqual(got, want) {
		t.Fatalf("clone changed with the original: %q", got)
	}
	c.Add("InClone", "1")
	if r.Header.Has("InClone") {
		t.Fatal("an Add to the clone reached the original")
	}
}

func TestHeaderAddDoesNotAlias(t *testing.T) {
	// Name and value share one arena; appending to a returned slice must
	// not overwrite its neighbour.
	var h Header
	h.Add("A", "1")
	h.Add("B", "2")
	f := h.At(0)
	_ = append(f.Name, 'X')
	_ = append(f.Value, 'Y')
	if got := fieldStrings(&h); !reflect.DeepEqual(got, []string{"A: 1", "B: 2"}) {
		t.Fatalf("got %q", got)
	}
}

func TestEqualFold(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Host", "host", true}, {"HOST", "host", true}, {"Hosts", "host", false},
		{"", "", true}, {"a", "", false}, {"@", "`", false}, {"[", "{", false}, {"-", "\r", false},
		{"Z", "z", true}, {"\xc0", "\xe0", false},
	}
	for _, tc := range tests {
		if got := EqualFold([]byte(tc.a), tc.b); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"GET": true, "x-y_z.1~!#$%&'*+^`|": true, "": false, "a b": false, "a:b": false,
		"a\"": false, "a(": false, "a\x00": false, "caf\xe9": false, "a/b": false,
	} {
		if got := IsToken([]byte(s)); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}
