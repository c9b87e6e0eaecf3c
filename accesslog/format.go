package accesslog

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Format is the layout of a log line.
type Format int

// The formats; see the package documentation.
const (
	Combined Format = iota // nginx's "combined", the default
	Common                 // the Common Log Format
	JSON                   // one JSON object per line
)

// ParseFormat returns the format named "combined", "common" or "json".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "combined", "":
		return Combined, nil
	case "common":
		return Common, nil
	case "json":
		return JSON, nil
	}
	return 0, fmt.Errorf("accesslog: unknown format %q (want combined, common or json)", s)
}

// String returns the format's name, as ParseFormat takes it.
func (f Format) String() string {
	switch f {
	case Combined:
		return "combined"
	case Common:
		return "common"
	case JSON:
		return "json"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// entry is what a line says about one request.
type entry struct {
	r      *web.Request
	status int
	bytes  int64
	end    time.Time
	dur    time.Duration
}

// appendLine appends e's line in format f, with its newline.
func appendLine(b []byte, f Format, e *entry) []byte {
	if f == JSON {
		return appendJSON(b, e)
	}
	return appendCLF(b, f == Combined, e)
}

// appendCLF appends nginx's common or combined line.
func appendCLF(b []byte, combined bool, e *entry) []byte {
	r := e.r
	b = appendAddr(b, r, "-")
	b = append(b, " - "...)
	var ubuf [maxUser]byte
	b = appendField(b, basicUser(&ubuf, r.Header.Get("Authorization")))
	b = append(b, " ["...)
	b = e.end.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	b = appendRequestLine(b, r)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.bytes, 10)
	if combined {
		b = append(b, " \""...)
		b = appendField(b, r.Header.Get("Referer"))
		b = append(b, "\" \""...)
		b = appendField(b, r.Header.Get("User-Agent"))
		b = append(b, '"')
	}
	return append(b, '\n')
}

// appendRequestLine appends the request line, or "-" for a request whose
// head the server could not parse (it reports none of it), as nginx
// logs a request line it did not get.
func appendRequestLine(b []byte, r *web.Request) []byte {
	if len(r.Method) == 0 && len(r.Target) == 0 && len(r.Proto) == 0 {
		return append(b, '-')
	}
	b = appendEscaped(b, r.Method)
	b = append(b, ' ')
	b = appendEscaped(b, r.Target)
	b = append(b, ' ')
	return appendEscaped(b, r.Proto)
}

// appendAddr appends the client's address without its port (IPv4-mapped
// addresses as IPv4), or none for a connection that is not TCP.
func appendAddr(b []byte, r *web.Request, none string) []byte {
	a := r.RemoteAddr.Addr()
	if !a.IsValid() {
		return append(b, none...)
	}
	return a.Unmap().AppendTo(b)
}

// appendField appends an escaped field value, or "-" when it is empty.
func appendField(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, '-')
	}
	return appendEscaped(b, v)
}

// appendEscaped appends v with nginx's access-log escaping: '"', '\\',
// control bytes and bytes from 0x7F up as \xHH.
func appendEscaped(b, v []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range v {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return b
}

// maxUser bounds the Authorization credentials decoded for $remote_user.
const maxUser = 192

// basicUser returns the user name of Basic credentials, decoded into buf,
// or nil (RFC 7617: base64 of "user:password").
func basicUser(buf *[maxUser]byte, auth []byte) []byte {
	const scheme = "basic "
	if len(auth) <= len(scheme) || !wire.EqualFold(auth[:len(scheme)], scheme) {
		return nil
	}
	cred := auth[len(scheme):]
	for len(cred) > 0 && cred[0] == ' ' {
		cred = cred[1:]
	}
	if base64.StdEncoding.DecodedLen(len(cred)) > len(buf) {
		return nil
	}
	n, err := base64.StdEncoding.Decode(buf[:], cred)
	if err != nil {
		return nil
	}
	u := buf[:n]
	for i, c := range u {
		if c == ':' {
			return u[:i]
		}
	}
	return nil
}

// appendJSON appends e as one JSON object.
func appendJSON(b []byte, e *entry) []byte {
	r := e.r
	b = append(b, `{"time":"`...)
	b = e.end.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","remote":"`...)
	b = appendAddr(b, r, "")
	b = append(b, `","method":`...)
	b = appendJSONField(b, r.Method)
	b = append(b, `,"target":`...)
	b = appendJSONField(b, r.Target)
	b = append(b, `,"proto":`...)
	b = appendJSONField(b, r.Proto)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, e.bytes, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(e.dur)/float64(time.Millisecond), 'f', 3, 64)
	b = append(b, `,"referer":`...)
	b = appendJSONString(b, r.Header.Get("Referer"))
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, r.Header.Get("User-Agent"))
	b = append(b, `,"host":`...)
	b = appendJSONString(b, r.Host)
	b = append(b, `,"site":`...)
	b = appendJSONString(b, r.Site)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, r.Route)
	return append(b, "}\n"...)
}

// appendJSONField appends a part of the request line as a JSON string,
// "-" when it is empty: the head of a request the server answered itself
// (a 400, 414, 431, 501, 505, or a 408 for a head cut short) is not known.
func appendJSONField(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, `"-"`...)
	}
	return appendJSONString(b, v)
}

// appendJSONString appends v as a quoted JSON string (RFC 8259 §7):
// quotes, backslashes and control bytes escaped, bytes that are not UTF-8
// replaced by U+FFFD. It takes the request's views and the router's names
// alike, without converting (which could allocate).
func appendJSONString[T string | []byte](b []byte, v T) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		// At most UTFMax bytes: a conversion that small stays on the stack.
		r, size := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, len(v))]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, v[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
