package cgienv

// DecodePath decodes a request path by the rules Build applies to it
// (percent-decoded once; a malformed escape, an encoded NUL or a "." or
// ".." segment is ErrBadPath), for a gateway that must look at the path
// before it knows its ScriptName: the CGI gateway walks it to find the
// script, then builds with ScriptName set to the script's path.
func DecodePath(raw []byte) (string, error) {
	var b Builder
	p, err := b.decodePath(raw)
	if err != nil {
		return "", err
	}
	return string(p), nil
}
