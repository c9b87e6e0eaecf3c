package cgienv

// AppendPath appends the request path raw, percent-decoded exactly once
// as Build decodes it for SCRIPT_NAME and PATH_INFO, to dst. It refuses
// what Build refuses with ErrBadPath: a malformed escape, an encoded NUL,
// a "." or ".." segment. A FastCGI gateway reads it to find the script a
// path names before it builds the variables.
func AppendPath(dst, raw []byte) ([]byte, error) {
	b := Builder{buf: dst}
	p, err := b.decodePath(raw)
	if err != nil {
		return dst, err
	}
	if len(b.buf) > len(dst) {
		return b.buf, nil // decoded into the buffer after dst
	}
	return append(dst, p...), nil
}
