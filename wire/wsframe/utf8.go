package wsframe

// UTF8 validates text that arrives in pieces (the fragments of a message,
// or the reads of one frame): a rune split across pieces is held as state,
// not as an error. Its zero value is ready at the start of a message.
type UTF8 struct {
	// need is how many continuation bytes the current rune still wants;
	// lo and hi bound the next one (tighter than 0x80–0xBF after some
	// leading bytes, to reject overlong forms, surrogates and code points
	// past U+10FFFF, as unicode/utf8 does).
	need   uint8
	lo, hi byte
}

// Write checks p, the next bytes of the text, and reports whether they
// are valid so far.
func (v *UTF8) Write(p []byte) bool {
	i := 0
	// An ASCII run needs no state; skip it fast when no rune is open.
	for i < len(p) {
		if v.need == 0 {
			for i+8 <= len(p) && (uint64(p[i])|uint64(p[i+1])|uint64(p[i+2])|uint64(p[i+3])|
				uint64(p[i+4])|uint64(p[i+5])|uint64(p[i+6])|uint64(p[i+7]))&0x80 == 0 {
				i += 8
			}
			if i == len(p) {
				break
			}
			c := p[i]
			i++
			switch {
			case c < 0x80:
			case c >= 0xC2 && c <= 0xDF:
				v.need, v.lo, v.hi = 1, 0x80, 0xBF
			case c == 0xE0:
				v.need, v.lo, v.hi = 2, 0xA0, 0xBF
			case c == 0xED:
				v.need, v.lo, v.hi = 2, 0x80, 0x9F
			case c >= 0xE1 && c <= 0xEF:
				v.need, v.lo, v.hi = 2, 0x80, 0xBF
			case c == 0xF0:
				v.need, v.lo, v.hi = 3, 0x90, 0xBF
			case c == 0xF4:
				v.need, v.lo, v.hi = 3, 0x80, 0x8F
			case c >= 0xF1 && c <= 0xF3:
				v.need, v.lo, v.hi = 3, 0x80, 0xBF
			default:
				return false
			}
			continue
		}
		c := p[i]
		i++
		if c < v.lo || c > v.hi {
			return false
		}
		v.need--
		v.lo, v.hi = 0x80, 0xBF
	}
	return true
}

// Done reports whether the text ended on a rune boundary: call it at the
// end of the message. It resets v for the next message.
func (v *UTF8) Done() bool {
	ok := v.need == 0
	*v = UTF8{}
	return ok
}
