package wsframe

import (
	"fmt"
	"testing"
)

func formatExts(exts []Extension) string {
	s := ""
	for _, e := range exts {
		s += "[" + string(e.Name)
		for _, p := range e.Params {
			s += " " + string(p.Name)
			if p.Value != nil {
				s += "=" + string(p.Value)
			}
		}
		s += "]"
	}
	return s
}

// TestParseExtensions follows RFC 6455 §9.1's grammar.
func TestParseExtensions(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"permessage-deflate", "[permessage-deflate]", false},
		{"permessage-deflate; client_max_window_bits", "[permessage-deflate client_max_window_bits]", false},
		{"permessage-deflate; server_max_window_bits=10 ; client_no_context_takeover, x-webkit", "[permessage-deflate server_max_window_bits=10 client_no_context_takeover][x-webkit]", false},
		{`permessage-deflate; client_max_window_bits="12"`, "[permessage-deflate client_max_window_bits=12]", false},
		{" , a ,, b ", "[a][b]", false},
		{"", "", false},
		{"a;", "", true},
		{"a;;b", "", true},
		{"a=b", "", true},
		{"a; b=", "", true},
		{`a; b="c d"`, "", true},
		{`a; b=""`, "", true},
		{`a; b="c`, "", true},
		{"a b", "", true},
		{"a;b=c=d", "", true},
	}
	for _, tc := range tests {
		got, err := ParseExtensions(nil, []byte(tc.in))
		if (err != nil) != tc.err || err == nil && formatExts(got) != tc.want {
			t.Errorf("ParseExtensions(%q) = %s %v, want %s (error %v)", tc.in, formatExts(got), err, tc.want, tc.err)
		}
	}
}

// TestNegotiateDeflate accepts the first valid offer with the server's
// wishes (RFC 7692 §7).
func TestNegotiateDeflate(t *testing.T) {
	quiet := Deflate{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	tests := []struct {
		offer string
		want  Deflate
		resp  string // "" when declined
	}{
		{"permessage-deflate", quiet, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"permessage-deflate; client_max_window_bits", Deflate{ServerNoContextTakeover: true, ClientMaxWindowBits: 10}, "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"},
		{"permessage-deflate", Deflate{ServerNoContextTakeover: true, ClientMaxWindowBits: 10}, "permessage-deflate; server_no_context_takeover"},
		{"permessage-deflate; server_max_window_bits=9", quiet, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9"},
		{"permessage-deflate; server_max_window_bits=16, permessage-deflate", quiet, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"permessage-deflate; server_max_window_bits=7", quiet, ""},
		{"permessage-deflate; server_max_window_bits", quiet, ""},
		{"permessage-deflate; server_max_window_bits=010", quiet, ""},
		{"permessage-deflate; client_max_window_bits=x", quiet, ""},
		{"permessage-deflate; server_no_context_takeover=1", quiet, ""},
		{"permessage-deflate; client_no_context_takeover; client_no_context_takeover", quiet, ""},
		{"permessage-deflate; unknown", quiet, ""},
		{"x-other", quiet, ""},
	}
	for _, tc := range tests {
		offers, err := ParseExtensions(nil, []byte(tc.offer))
		if err != nil {
			t.Fatal(err)
		}
		d, ok := NegotiateDeflate(offers, tc.want)
		resp := ""
		if ok {
			resp = string(d.AppendResponse(nil))
		}
		if resp != tc.resp {
			t.Errorf("offer %q: response %q, want %q (%+v)", tc.offer, resp, tc.resp, d)
		}
	}
}

func ExampleNegotiateDeflate() {
	offers, _ := ParseExtensions(nil, []byte("permessage-deflate; client_max_window_bits"))
	d, ok := NegotiateDeflate(offers, Deflate{ServerNoContextTakeover: true, ClientMaxWindowBits: 12})
	fmt.Println(ok, string(d.AppendResponse(nil)))
	// Output: true permessage-deflate; server_no_context_takeover; client_max_window_bits=12
}
