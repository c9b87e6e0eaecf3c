package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParseRequest checks two things about every input. First, that Parse
// gives the same verdict whole, split into reads of the fuzzed size, and
// byte by byte. Second, that it agrees with net/http on the framing
// decisions, the place where two parsers disagreeing is a request-smuggling
// risk: whether the request is accepted at all, and if so its method,
// target, host, body length, chunking, persistence and head length.
//
// net/http is judged as its server judges: http.ReadRequest plus the checks
// (*http.conn).readRequest and serve add (version, Host, field syntax,
// Expect). Where the two disagree on purpose, stricterReason and
// lenientReason say why; any other disagreement fails the test.
func FuzzParseRequest(f *testing.F) {
	for _, tc := range requestTests {
		if tc.lim == nil && len(tc.raw) < 1024 {
			f.Add([]byte(tc.raw), uint8(len(tc.name)))
		}
	}
	f.Fuzz(checkRequest)
}

// checkRequest is FuzzParseRequest's body; TestAgainstNetHTTP runs it on
// generated inputs too.
func checkRequest(t *testing.T, data []byte, split uint8) {
	if len(data) > 8<<10 {
		return
	}
	whole := parseWhole(data, nil)
	step := int(split&0x3f) + 1
	if got := parseSplit(t, data, nil, []int{step}, split&0x40 != 0); !reflect.DeepEqual(got, whole) {
		t.Fatalf("split into %d-byte reads: got %+v\nwhole input gave %+v", step, got, whole)
	}
	if len(data) <= 512 {
		if got := parseSplit(t, data, nil, []int{1}, split&0x80 != 0); !reflect.DeepEqual(got, whole) {
			t.Fatalf("byte by byte: got %+v\nwhole input gave %+v", got, whole)
		}
	}

	// net/http does not skip empty lines before the request-line
	// (its server drops up to 4 CR or LF bytes after a POST only);
	// Brick skips a few, as RFC 9112 §2.2 asks. Compare the rest.
	start, err := skipEmptyLines(data)
	if err != nil {
		start = 0
	}
	ref := readReference(data[start:])

	var (
		p RequestParser
		r RequestHead
	)
	n, err := p.Parse(&r, data, nil)
	switch {
	case err == nil && ref.err == nil:
		compareFraming(t, data, &r, n-start, ref)
	case err == nil:
		if why := lenientReason(&r, ref); why == "" {
			t.Fatalf("Brick accepts what net/http refuses (%v):\n%q\nBrick: %+v", ref.err, data, whole)
		}
	case ref.err == nil && err != ErrNeedMore:
		if why := stricterReason(err, data[start:], ref); why == "" {
			t.Fatalf("Brick refuses (%v) what net/http accepts:\n%q\nnet/http: %+v", err, data, ref)
		}
	case ref.err == nil:
		// net/http read a whole head from bytes in which Brick still
		// waits for the end of one: they disagree on where it ends.
		t.Fatalf("Brick needs more input, net/http accepts:\n%q\nnet/http: %+v", data, ref)
	}
}

// reference is net/http's verdict on a request head.
type reference struct {
	err           error
	req           *http.Request
	n             int // head length
	host          string
	contentLength int64
	chunked       bool
	hostField     string
}

// readReference runs http.ReadRequest on data and then the checks the
// net/http server applies before calling a handler.
func readReference(data []byte) reference {
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, max(4096, len(data)))
	req, err := http.ReadRequest(br)
	if err != nil {
		return reference{err: err}
	}
	ref := reference{
		req: req, n: len(data) - rd.Len() - br.Buffered(), host: req.Host,
		contentLength: req.ContentLength,
		chunked:       len(req.TransferEncoding) > 0 && req.TransferEncoding[0] == "chunked",
	}
	isH2Upgrade := req.Method == "PRI" && len(req.Header) == 0 && req.URL.Path == "*" && req.Proto == "HTTP/2.0"
	// The exported ReadRequest drops the Host field the server checks;
	// read the fields again to get it back.
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	tp.ReadLine()
	fields, _ := tp.ReadMIMEHeader()
	hosts := fields["Host"]
	if len(hosts) == 1 {
		ref.hostField = hosts[0]
	}
	switch {
	case req.ProtoMajor != 1 && !(req.ProtoMajor == 2 && req.ProtoMinor == 0 && req.Method == "PRI" && req.RequestURI == "*"):
		ref.err = errors.New("505: unsupported protocol version")
	case req.ProtoAtLeast(1, 1) && len(hosts) == 0 && !isH2Upgrade && req.Method != "CONNECT":
		ref.err = errors.New("400: missing required Host header")
	case len(hosts) == 1 && !validHostHeaderStd(hosts[0]):
		ref.err = errors.New("400: malformed Host header")
	}
	for k, vv := range req.Header {
		if !IsToken([]byte(k)) {
			ref.err = errors.New("400: invalid header name")
		}
		for _, v := range vv {
			if !validHeaderValueStd(v) {
				ref.err = errors.New("400: invalid header value")
			}
		}
	}
	// (*http.conn).serve: anything but 100-continue in the first Expect
	// field is answered 417.
	if ref.err == nil && !hasTokenStd(req.Header.Get("Expect"), "100-continue") && req.Header.Get("Expect") != "" {
		ref.err = errors.New("417: expectation failed")
	}
	return ref
}

// compareFraming fails t unless Brick and net/http, both accepting a head,
// framed it the same way.
func compareFraming(t *testing.T, data []byte, r *RequestHead, n int, ref reference) {
	t.Helper()
	req := ref.req
	type framing struct {
		Method, Target, Host string
		Minor                int
		ContentLength        int64
		Chunked, Close       bool
		HeadLength           int
	}
	brick := framing{string(r.Method), string(r.Target), string(r.Host), r.Minor, r.ContentLength, r.Chunked, r.Close, n}
	// Brick reports 1.x with x >= 2 as 1.1 (RFC 9110 §6.2).
	std := framing{req.Method, req.RequestURI, ref.host, min(req.ProtoMinor, 1), ref.contentLength, ref.chunked, req.Close, ref.n}
	if brick != std {
		t.Fatalf("Brick and net/http frame differently:\n%q\nBrick:    %+v\nnet/http: %+v", data, brick, std)
	}
}

// stricterReason returns why Brick may refuse, with err, a head net/http
// accepts, or "" when it may not. Each reason is a deliberate choice.
func stricterReason(err error, data []byte, ref reference) string {
	req := ref.req
	target := req.RequestURI
	switch err {
	case ErrVersionUnsupported:
		if req.Method == "PRI" && target == "*" && req.Proto == "HTTP/2.0" {
			return "Brick does not take HTTP/2 prior-knowledge upgrades (PRI * HTTP/2.0)"
		}
	case ErrBadMethod:
		if len(req.Method) > maxMethodBytes {
			return "Brick bounds methods to 64 bytes"
		}
	case ErrTargetTooLong:
		if len(target) > DefaultMaxTargetBytes {
			return "Brick bounds the target (414); ReadRequest has no limit"
		}
	case ErrHeaderTooLarge:
		if bytes.Index(data, []byte("\n\n")) > DefaultMaxHeaderBytes/2 || len(data) > DefaultMaxHeaderBytes {
			return "Brick bounds the head (431)"
		}
	case ErrTooManyHeaders:
		return "Brick bounds the number of fields (431); ReadRequest has no limit"
	case ErrBadTarget:
		return targetReason(req.Method, target)
	case ErrObsFold:
		// RFC 9112 §5.2 lets a server reject obs-fold; net/http
		// joins the lines.
		if hasFoldedLine(data) {
			return "Brick rejects obs-fold; net/http unfolds it"
		}
	case ErrMissingHost:
		if req.Method == "CONNECT" {
			return "Brick requires Host on CONNECT too (RFC 9112 §3.2)"
		}
	case ErrBadHost:
		if h := ref.hostField; !validHost([]byte(h)) && validHostHeaderStd(h) {
			return "Brick checks the uri-host [\":\" port] grammar; net/http checks bytes only"
		}
	case ErrTEAndCL:
		if len(req.TransferEncoding) > 0 {
			return "Brick refuses TE with CL (RFC 9112 §6.1 MAY); net/http drops CL"
		}
	case ErrTEOnHTTP10:
		if req.ProtoMinor == 0 {
			return "Brick refuses TE in HTTP/1.0 (RFC 9112 §6.1); net/http ignores it"
		}
	case ErrBadExpect:
		if e := req.Header.Values("Expect"); len(e) > 1 || hasTokenStd(strings.Join(e, ","), "100-continue") {
			return "Brick answers 417 to any expectation but 100-continue, in any Expect line"
		}
	}
	return ""
}

// targetReason returns why Brick refuses a request-target net/http accepts.
func targetReason(method, target string) string {
	switch {
	case strings.IndexFunc(target, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0:
		return "Brick requires the target to be visible ASCII (RFC 9112 §3.2)"
	case strings.Contains(target, "#"):
		return "Brick refuses fragments in the target (RFC 9112 §3.2)"
	case method == "CONNECT":
		return "Brick takes only host:port for CONNECT (RFC 9112 §3.2.3)"
	case target == "*":
		return "Brick takes * only for OPTIONS (RFC 9112 §3.2.4)"
	case strings.HasPrefix(target, "/"):
		return ""
	}
	// Absolute-form.
	// The "://" must follow the scheme itself: in "a:://h" the first
	// "://" comes after a colon that ends the scheme.
	scheme, rest, ok := strings.Cut(target, ":")
	rest, ok2 := strings.CutPrefix(rest, "//")
	if !ok || !ok2 || !validScheme([]byte(scheme)) {
		return "Brick takes only absolute URIs with an authority (RFC 9110 §4.2)"
	}
	auth := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		auth = rest[:i]
	}
	switch {
	case auth == "":
		return "Brick refuses an empty authority (RFC 9110 §4.2.1)"
	case strings.Contains(auth, "@"):
		return "Brick refuses userinfo (RFC 9110 §4.2.4)"
	case !validHost([]byte(auth)):
		return "Brick checks the uri-host [\":\" port] grammar"
	}
	return ""
}

// lenientReason returns why Brick may accept a head net/http refuses, or "".
func lenientReason(r *RequestHead, ref reference) string {
	var cls, tes, expects []string
	for _, f := range r.Header.Fields() {
		switch {
		case EqualFold(f.Name, "Content-Length"):
			cls = append(cls, string(f.Value))
		case EqualFold(f.Name, "Transfer-Encoding"):
			tes = append(tes, string(f.Value))
		case EqualFold(f.Name, "Expect"):
			expects = append(expects, string(f.Value))
		}
	}
	for _, v := range cls[min(1, len(cls)):] {
		if v != cls[0] {
			// RFC 9110 §8.6: equal numbers ("5" and "05") are one length.
			return "Brick accepts Content-Length values that spell one number differently"
		}
	}
	if len(cls) > 0 && strings.Contains(cls[0], ",") {
		return "Brick accepts a list of identical Content-Length values (RFC 9110 §8.6)"
	}
	if len(tes) == 1 && !strings.EqualFold(tes[0], "chunked") {
		return "Brick skips empty list elements in Transfer-Encoding (RFC 9110 §5.6.1)"
	}
	if len(expects) > 0 && expects[0] != "" && !r.Expect100 {
		return "Brick skips empty list elements in Expect (RFC 9110 §5.6.1)"
	}
	if i := strings.Index(string(r.Path), "%"); i >= 0 && badPercent(string(r.Path)) {
		return "Brick leaves percent-decoding of the path to the handler; net/url refuses bad escapes"
	}
	return ""
}

func badPercent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || hexValue(s[i+1]) < 0 || hexValue(s[i+2]) < 0) {
			return true
		}
	}
	return false
}

// hasFoldedLine reports whether a field line of the head starts with
// whitespace.
func hasFoldedLine(data []byte) bool {
	head, _, _ := bytes.Cut(data, []byte("\n\n"))
	for _, line := range bytes.Split(head, []byte("\n")) {
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return true
		}
	}
	return false
}

// validHostHeaderStd is golang.org/x/net/http/httpguts.ValidHostHeader,
// which net/http's server applies (vendored, so not importable).
func validHostHeaderStd(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValueStd is httpguts.ValidHeaderFieldValue: no control bytes
// but HTAB.
func validHeaderValueStd(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' || c == 0x7f) && c != '\t' {
			return false
		}
	}
	return true
}

// hasTokenStd is net/http's hasToken: token appears in v bounded by
// space, tab, comma or the ends.
func hasTokenStd(v, token string) bool {
	boundary := func(c byte) bool { return c == ' ' || c == ',' || c == '\t' }
	for sp := 0; sp+len(token) <= len(v); sp++ {
		if sp > 0 && !boundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !boundary(v[end]) {
			continue
		}
		if strings.EqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

// FuzzChunked checks that the decoder gives the same verdict whole, in reads
// of the fuzzed size and byte by byte, and that where both it and
// net/http/httputil's chunked reader read a body, the bodies are the same.
func FuzzChunked(f *testing.F) {
	for _, tc := range chunkedTests {
		if len(tc.in) < 1024 {
			f.Add([]byte(tc.in), uint8(len(tc.name)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		if len(data) > 32<<10 {
			return
		}
		whole := decodeSplit(data, 0, []int{len(data) + 1})
		step := int(split) + 1
		if got := decodeSplit(data, 0, []int{step}); !reflect.DeepEqual(got, whole) {
			t.Fatalf("split into %d-byte reads: got %s\nwhole input gave %s", step, fmtDecoded(got), fmtDecoded(whole))
		}
		if len(data) <= 1024 {
			if got := decodeSplit(data, 0, []int{1}); !reflect.DeepEqual(got, whole) {
				t.Fatalf("byte by byte: got %s\nwhole input gave %s", fmtDecoded(got), fmtDecoded(whole))
			}
		}

		// httputil's reader stops after the last chunk's size line and
		// leaves the trailer section to its caller, so the comparison
		// ends there: Brick checks trailers, httputil never sees them.
		std, stdErr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(data)))
		bodyRead := reachesTrailer(data)
		line := data[whole.Consumed:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		switch {
		case bodyRead && stdErr == nil:
			if string(std) != whole.Body {
				t.Fatalf("bodies differ for %q:\nBrick:    %q\nnet/http: %q", data, whole.Body, std)
			}
		case bodyRead:
			// RFC 9112 §7.1.1 allows whitespace before ';' (BWS);
			// httputil takes it for part of the size.
			if !bytes.Contains(data, []byte(" ;")) && !bytes.Contains(data, []byte("\t;")) {
				t.Fatalf("Brick reads a body net/http refuses (%v):\n%q", stdErr, data)
			}
		case stdErr == nil:
			// httputil ignores everything after ';' and trims trailing
			// whitespace off the line; Brick checks chunk extensions
			// against RFC 9112 §7.1.1, which allows whitespace only
			// before a ';' or around an extension's '='.
			if whole.Err != ErrBadChunk || bytes.IndexByte(line, ';') < 0 && !endsInWhitespace(line) {
				t.Fatalf("Brick refuses (%v) a body net/http reads:\n%q", whole.Err, data)
			}
		default:
			// Neither read a whole body: up to where the first stopped,
			// they read the same bytes.
			if n := min(len(std), len(whole.Body)); string(std[:n]) != whole.Body[:n] {
				t.Fatalf("body prefixes differ for %q:\nBrick:    %q\nnet/http: %q", data, whole.Body, std)
			}
		}
	})
}

// endsInWhitespace reports whether a chunk-size line, less its CR, ends
// with SP or HTAB.
func endsInWhitespace(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte("\r"))
	return len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t')
}

// reachesTrailer reports whether the decoder, given all of data, gets past
// the last chunk: whether it decodes a whole body, trailers aside.
func reachesTrailer(data []byte) bool {
	var d ChunkedDecoder
	for {
		n, _, err := d.Decode(data)
		data = data[n:]
		if d.state >= chunkTrailer {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// TestAgainstNetHTTP runs FuzzParseRequest's checks on a systematic sweep
// of request lines, Host fields and the fields that decide framing, alone
// and in pairs: the combinations that request-smuggling write-ups try, which
// random mutation finds only slowly.
func TestAgainstNetHTTP(t *testing.T) {
	lines := []string{
		"GET / HTTP/1.1", "POST /p?q HTTP/1.1", "GET / HTTP/1.0", "POST / HTTP/1.0", "GET / HTTP/1.2",
		"GET http://a.example/x HTTP/1.1", "GET http://[::1]:80/ HTTP/1.1", "CONNECT a.example:443 HTTP/1.1",
		"OPTIONS * HTTP/1.1", "GET * HTTP/1.1", "GET / HTTP/2.0", "PRI * HTTP/2.0",
	}
	hosts := [][]string{{"Host: h"}, nil, {"Host: h", "Host: h"}, {"Host: "}, {"Host: a b"}, {"Host: [::1]:80"}, {"Host: h:x"}}
	framing := []string{
		"Content-Length: 5", "Content-Length: 05", "Content-Length: 5, 5", "Content-Length: 5,", "Content-Length: +5",
		"Content-Length: ", "Content-Length:  5 ", "Content-Length: 99999999999999999999", "Content-Length: 6",
		"Transfer-Encoding: chunked", "Transfer-Encoding: Chunked", "Transfer-Encoding: chunked, ",
		"Transfer-Encoding: gzip, chunked", "Transfer-Encoding: identity", "Transfer-Encoding : chunked",
		"Transfer-Encoding:\tchunked", "Transfer-Encoding: chunked\x0b", " Transfer-Encoding: chunked",
	}
	others := []string{
		"Connection: close", "Connection: keep-alive", "Connection: Keep-Alive, close", "Connection: upgrade",
		"Expect: 100-continue", "Expect: 100-continue, x", "Expect: x", "Expect: ", "Expect: ,",
		"X: a\r\n b", "X: \x01", "X\x00: y", ": y", "X : y", "X: caf\xe9",
	}
	build := func(eol, line string, fields ...string) []byte {
		var b strings.Builder
		b.WriteString(line + eol)
		for _, f := range fields {
			b.WriteString(f + eol)
		}
		b.WriteString(eol)
		return []byte(b.String())
	}
	var inputs [][]byte
	for _, line := range lines {
		for _, h := range hosts {
			for _, f := range append(framing, others...) {
				for _, eol := range []string{"\r\n", "\n"} {
					inputs = append(inputs, build(eol, line, append(slices.Clone(h), f)...))
					inputs = append(inputs, build(eol, line, f))
				}
			}
			for i, f := range framing {
				for _, g := range framing[i:] {
					inputs = append(inputs, build("\r\n", line, append(slices.Clone(h), f, g)...))
				}
			}
		}
	}
	for i, in := range inputs {
		checkRequest(t, in, uint8(i))
		if t.Failed() {
			return
		}
	}
}
