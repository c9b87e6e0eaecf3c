package wsframe

import (
	"errors"
	"strconv"
)

// Extension is one offer in a Sec-WebSocket-Extensions field (RFC 6455
// §9.1): a name and its parameters. Names and values are views of the
// parsed field, except quoted values, which are copied unquoted.
type Extension struct {
	Name   []byte
	Params []Param
}

// Param is an extension parameter; Value is nil when the parameter had
// none ("server_no_context_takeover").
type Param struct {
	Name, Value []byte
}

// ErrBadExtensions reports a Sec-WebSocket-Extensions value that does not
// follow the grammar of RFC 6455 §9.1; the handshake fails with 400.
var ErrBadExtensions = errors.New("wsframe: malformed Sec-WebSocket-Extensions")

// ParseExtensions appends the offers in v, one Sec-WebSocket-Extensions
// field value, to dst:
//
//	extension-list = 1#extension
//	extension      = token *( OWS ";" OWS param )
//	param          = token [ "=" ( token / quoted-string ) ]
//
// where a quoted value must itself be a token (§9.1). Empty list elements
// are skipped, as RFC 9110 §5.6.1 asks of a recipient.
func ParseExtensions(dst []Extension, v []byte) ([]Extension, error) {
	i := 0
	for {
		i = skipOWS(v, i)
		if i == len(v) {
			return dst, nil
		}
		if v[i] == ',' {
			i++
			continue
		}
		name, j := token(v, i)
		if j == i {
			return dst, ErrBadExtensions
		}
		ext := Extension{Name: name}
		i = skipOWS(v, j)
		for i < len(v) && v[i] == ';' {
			i = skipOWS(v, i+1)
			pn, j := token(v, i)
			if j == i {
				return dst, ErrBadExtensions
			}
			p := Param{Name: pn}
			i = skipOWS(v, j)
			if i < len(v) && v[i] == '=' {
				i = skipOWS(v, i+1)
				var err error
				if p.Value, i, err = paramValue(v, i); err != nil {
					return dst, err
				}
				i = skipOWS(v, i)
			}
			ext.Params = append(ext.Params, p)
		}
		dst = append(dst, ext)
		if i == len(v) {
			return dst, nil
		}
		if v[i] != ',' {
			return dst, ErrBadExtensions
		}
		i++
	}
}

// paramValue parses a token or a quoted string holding a token at v[i:].
func paramValue(v []byte, i int) ([]byte, int, error) {
	if i < len(v) && v[i] == '"' {
		var out []byte
		i++
		for i < len(v) && v[i] != '"' {
			c := v[i]
			if c == '\\' {
				i++
				if i == len(v) {
					return nil, i, ErrBadExtensions
				}
				c = v[i]
			}
			if !isTokenChar(c) {
				return nil, i, ErrBadExtensions
			}
			out = append(out, c)
			i++
		}
		if i == len(v) || len(out) == 0 {
			return nil, i, ErrBadExtensions
		}
		return out, i + 1, nil
	}
	val, j := token(v, i)
	if j == i {
		return nil, i, ErrBadExtensions
	}
	return val, j, nil
}

func skipOWS(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	return i
}

func token(v []byte, i int) ([]byte, int) {
	j := i
	for j < len(v) && isTokenChar(v[j]) {
		j++
	}
	return v[i:j], j
}

// isTokenChar reports whether c is a tchar (RFC 9110 §5.6.2).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// Deflate is a permessage-deflate configuration (RFC 7692 §7): what the
// server asks for when it answers an offer, and, after Negotiate, what was
// agreed.
type Deflate struct {
	// ServerNoContextTakeover: the server starts each message with an
	// empty window, so it keeps no compressor between messages.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client does likewise, so the server
	// keeps no window of past messages to decompress the next one.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits and ClientMaxWindowBits are the LZ77 window
	// sizes as powers of two, 8 to 15 (15, 32 KiB, is the default).
	ServerMaxWindowBits int
	ClientMaxWindowBits int

	// serverBitsOffered: an accepted server_max_window_bits must be
	// answered (§7.1.2.1).
	serverBitsOffered bool
}

// NegotiateDeflate picks the first permessage-deflate offer in offers that
// the server can accept (§5.1: offers are in the client's order of
// preference) and returns the agreed parameters, starting from want, the
// server's wishes: the server may always add no-context-takeover for
// either side, and may lower the client's window when the client offered
// client_max_window_bits (§7.1.2.2). An offer with an unknown or repeated
// parameter, or a bad value, is declined (§7.1). ok is false when no
// offer is acceptable: the connection then runs without compression.
func NegotiateDeflate(offers []Extension, want Deflate) (agreed Deflate, ok bool) {
	for _, ext := range offers {
		if string(ext.Name) != "permessage-deflate" {
			continue
		}
		if d, ok := acceptDeflate(ext.Params, want); ok {
			return d, true
		}
	}
	return Deflate{}, false
}

func acceptDeflate(params []Param, want Deflate) (Deflate, bool) {
	d := Deflate{
		ServerNoContextTakeover: want.ServerNoContextTakeover,
		ClientNoContextTakeover: want.ClientNoContextTakeover,
		ServerMaxWindowBits:     15,
		ClientMaxWindowBits:     15,
	}
	var seen [4]bool
	clientBitsOffered := false
	for _, p := range params {
		k := -1
		switch string(p.Name) {
		case "server_no_context_takeover":
			k = 0
			if p.Value != nil {
				return d, false
			}
			d.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			k = 1
			if p.Value != nil {
				return d, false
			}
			d.ClientNoContextTakeover = true
		case "server_max_window_bits":
			k = 2
			bits, ok := windowBits(p.Value)
			if !ok {
				return d, false
			}
			d.ServerMaxWindowBits = bits
			d.serverBitsOffered = true
		case "client_max_window_bits":
			k = 3
			clientBitsOffered = true
			if p.Value != nil {
				bits, ok := windowBits(p.Value)
				if !ok {
					return d, false
				}
				d.ClientMaxWindowBits = bits
			}
		default:
			return d, false
		}
		if seen[k] {
			return d, false
		}
		seen[k] = true
	}
	// A smaller window than the client allows is always decodable, so the
	// server may use one unasked; it says so only when the client offered
	// the parameter (§7.1.2.1 forbids it otherwise).
	if want.ServerMaxWindowBits >= 8 && want.ServerMaxWindowBits < d.ServerMaxWindowBits {
		d.ServerMaxWindowBits = want.ServerMaxWindowBits
	}
	// The client's window may be lowered only if it said it can take a
	// limit (§7.1.2.2).
	if clientBitsOffered && want.ClientMaxWindowBits >= 8 && want.ClientMaxWindowBits < d.ClientMaxWindowBits {
		d.ClientMaxWindowBits = want.ClientMaxWindowBits
	}
	return d, true
}

func windowBits(v []byte) (int, bool) {
	if len(v) == 0 || len(v) > 2 || v[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 8 || n > 15 {
		return 0, false
	}
	return n, true
}

// AppendResponse appends the Sec-WebSocket-Extensions value that accepts
// d to dst.
func (d Deflate) AppendResponse(dst []byte) []byte {
	dst = append(dst, "permessage-deflate"...)
	if d.ServerNoContextTakeover {
		dst = append(dst, "; server_no_context_takeover"...)
	}
	if d.ClientNoContextTakeover {
		dst = append(dst, "; client_no_context_takeover"...)
	}
	if d.serverBitsOffered {
		dst = append(dst, "; server_max_window_bits="...)
		dst = strconv.AppendInt(dst, int64(d.ServerMaxWindowBits), 10)
	}
	if d.ClientMaxWindowBits >= 8 && d.ClientMaxWindowBits < 15 {
		dst = append(dst, "; client_max_window_bits="...)
		dst = strconv.AppendInt(dst, int64(d.ClientMaxWindowBits), 10)
	}
	return dst
}
