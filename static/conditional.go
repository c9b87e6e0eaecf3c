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

// parseHTTPDate parses an HTTP-date (RFC 9110 §5.6.7), including the two
// obsolete forms recipients must accept.
func parseHTTPDate(v []byte) (time.Time, bool) {
	s := string(bytes.TrimSpace(v))
	for _, layout := range [...]string{httpTime, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// etagMatch reports whether the If-Match / If-None-Match list v matches
// etag: "*" matches any current representation; strong comparison for
// If-Match, weak for If-None-Match (RFC 9110 §8.8.3.2).
func etagMatch(v []byte, etag string, weak bool) bool {
	for len(v) > 0 {
		v = bytes.TrimLeft(v, " \t,")
		if len(v) == 0 {
			break
		}
		if v[0] == '*' {
			return true
		}
		isWeak := false
		if bytes.HasPrefix(v, []byte("W/")) {
			isWeak = true
			v = v[2:]
		}
		if len(v) == 0 || v[0] != '"' {
			return false // malformed: match nothing
		}
		end := bytes.IndexByte(v[1:], '"')
		if end < 0 {
			return false
		}
		tag := v[:end+2]
		v = v[end+2:]
		if (weak || !isWeak) && string(tag) == etag {
			return true
		}
	}
	return false
}

// precondition evaluates the conditional fields in the order of RFC 9110
// §13.2.2 for a GET or HEAD of an existing file. It returns 0 to go on,
// 304 or 412.
func precondition(r *web.Request, etag string, mod time.Time) int {
	h := &r.Header
	mod = mod.Truncate(time.Second)
	if v := h.Get("If-Match"); v != nil {
		if !etagMatch(v, etag, false) {
			return 412
		}
	} else if v := h.Get("If-Unmodified-Since"); v != nil {
		if t, ok := parseHTTPDate(v); ok && mod.After(t) {
			return 412
		}
	}
	if v := h.Get("If-None-Match"); v != nil {
		if etagMatch(v, etag, true) {
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
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		return string(v) == etag
	}
	if bytes.HasPrefix(v, []byte("W/")) {
		return false
	}
	t, ok := parseHTTPDate(v)
	return ok && t.Equal(mod.Truncate(time.Second))
}

// acceptsEncoding reports whether Accept-Encoding accepts coding with a
// non-zero q-value (RFC 9110 §12.5.3); "*" stands for any coding.
func acceptsEncoding(v []byte, coding string) bool {
	star := false
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		name, params, _ := bytes.Cut(item, []byte(";"))
		name = bytes.TrimSpace(name)
		zero := qZero(params)
		switch {
		case wire.EqualFold(name, coding):
			return !zero
		case string(name) == "*":
			star = !zero
		}
	}
	return star
}

// qZero reports whether parameters carry q=0 (or 0.0, 0.00, 0.000).
func qZero(params []byte) bool {
	for _, p := range bytes.Split(params, []byte(";")) {
		k, val, ok := bytes.Cut(bytes.TrimSpace(p), []byte("="))
		if !ok || !wire.EqualFold(bytes.TrimSpace(k), "q") {
			continue
		}
		val = bytes.TrimSpace(val)
		if len(val) == 0 || val[0] != '0' {
			return false
		}
		return len(bytes.Trim(val, "0.")) == 0
	}
	return false
}
