package static

import (
	"bytes"
	"strconv"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// makeETag is a strong validator from the file's size and modification
// time in nanoseconds: it changes whenever a write is visible in either.
func makeETag(size int64, mod time.Time) string {
	b := make([]byte, 0, 40)
	b = append(b, '"')
	b = strconv.AppendInt(b, size, 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, mod.UnixNano(), 16)
	return string(append(b, '"'))
}

// encodedETag is the ETag of an encoded representation: a different
// representation needs a different strong validator (RFC 9110 §8.8.3.3).
func encodedETag(etag, coding string) string {
	if coding == "" {
		return etag
	}
	return etag[:len(etag)-1] + "-" + coding + `"`
}

const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// rfc850Time is the obsolete RFC 850 form of an HTTP-date, with GMT
// spelled out: time.RFC850 reads any zone abbreviation and, for one it
// does not know, gives a result that depends on the local time zone.
const rfc850Time = "Monday, 02-Jan-06 15:04:05 GMT"

// parseHTTPDate parses an HTTP-date (RFC 9110 §5.6.7), including the two
// obsolete forms recipients must accept.
func parseHTTPDate(v []byte) (time.Time, bool) {
	return parseHTTPDateAt(v, time.Now())
}

// parseHTTPDateAt is parseHTTPDate with the current time given: the
// two-digit year of the RFC 850 form is the latest year with those digits
// that is not more than 50 years after now, as RFC 9110 §5.6.7 requires
// (time.Parse fixes the century at 1969–2068 instead).
func parseHTTPDateAt(v []byte, now time.Time) (time.Time, bool) {
	s := string(wire.TrimOWS(v))
	if t, err := time.Parse(httpTime, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.ANSIC, s); err == nil {
		return t, true
	}
	t, err := time.Parse(rfc850Time, s)
	if err != nil {
		return time.Time{}, false
	}
	now = now.UTC()
	t = t.AddDate(now.Year()/100*100+t.Year()%100-t.Year(), 0, 0)
	if limit := now.AddDate(50, 0, 0); t.After(limit) {
		t = t.AddDate(-100, 0, 0)
	} else if u := t.AddDate(100, 0, 0); !u.After(limit) {
		t = u
	}
	return t, true
}

// etagListMatch reports whether the fields named name (If-Match or
// If-None-Match), taken together as one list (RFC 9110 §5.3), match etag:
// "*" alone matches any current representation; otherwise the comparison
// is strong, or weak when weak is set (RFC 9110 §8.8.3.2). A value that is
// neither "*" nor a list of entity-tags matches nothing, wherever in the
// list the error is.
func etagListMatch(h *wire.Header, name, etag string, weak bool) bool {
	matched, star, n := false, false, 0
	for _, f := range h.Fields() {
		if !wire.EqualFold(f.Name, name) {
			continue
		}
		v := f.Value
		for {
			v = wire.TrimOWS(v)
			if len(v) == 0 {
				break
			}
			if v[0] == ',' {
				v = v[1:] // empty list elements are allowed (RFC 9110 §5.6.1)
				continue
			}
			n++
			if v[0] == '*' {
				star, v = true, v[1:]
			} else {
				tag, isWeak, rest, ok := cutETag(v)
				if !ok {
					return false
				}
				if (weak || !isWeak) && string(tag) == etag {
					matched = true
				}
				v = rest
			}
			if v = wire.TrimOWS(v); len(v) > 0 && v[0] != ',' {
				return false
			}
		}
	}
	if star {
		return n == 1
	}
	return matched
}

// cutETag reads the entity-tag at the start of v (RFC 9110 §8.8.3):
// [ "W/" ] DQUOTE *etagc DQUOTE. tag is the quoted opaque-tag.
func cutETag(v []byte) (tag []byte, weak bool, rest []byte, ok bool) {
	if len(v) >= 2 && v[0] == 'W' && v[1] == '/' {
		weak, v = true, v[2:]
	}
	if len(v) == 0 || v[0] != '"' {
		return nil, false, nil, false
	}
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			return v[:i+1], weak, v[i+1:], true
		case c < 0x21 || c == 0x7f: // etagc = %x21 / %x23-7E / obs-text
			return nil, false, nil, false
		}
	}
	return nil, false, nil, false
}

// precondition evaluates the conditional fields in the order of RFC 9110
// §13.2.2 for a GET or HEAD of an existing file. It returns 0 to go on,
// 304 or 412.
func precondition(r *web.Request, etag string, mod time.Time) int {
	h := &r.Header
	mod = mod.Truncate(time.Second)
	if h.Has("If-Match") {
		if !etagListMatch(h, "If-Match", etag, false) {
			return 412
		}
	} else if v := h.Get("If-Unmodified-Since"); v != nil {
		if t, ok := parseHTTPDate(v); ok && mod.After(t) {
			return 412
		}
	}
	if h.Has("If-None-Match") {
		if etagListMatch(h, "If-None-Match", etag, true) {
			return 304
		}
	} else if v := h.Get("If-Modified-Since"); v != nil {
		if t, ok := parseHTTPDate(v); ok && !mod.After(t) {
			return 304
		}
	}
	return 0
}

// ifRangeHolds evaluates If-Range (RFC 9110 §13.1.5): the range applies
// only when the validator is a strong ETag equal to etag, or a date equal
// to the Last-Modified time.
func ifRangeHolds(r *web.Request, etag string, mod time.Time) bool {
	v := r.Header.Get("If-Range")
	if v == nil {
		return true
	}
	v = wire.TrimOWS(v)
	if len(v) > 0 && v[0] == '"' {
		return string(v) == etag
	}
	if bytes.HasPrefix(v, []byte("W/")) {
		return false
	}
	t, ok := parseHTTPDate(v)
	return ok && t.Equal(mod.Truncate(time.Second))
}
