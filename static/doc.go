// Package static serves a directory tree over HTTP: the job behind
// `brick DIR`.
//
// A request path is percent-decoded once and checked before it touches the
// filesystem (path.go): NUL, control bytes, invalid or overlong UTF-8,
// backslashes and encoded slashes are refused with 400; dot-segments are
// removed as RFC 3986 §5.2.4 says, and the result is verified to stay
// inside the root. Files are then opened through an os.Root, so a symlink
// that leads outside the root is refused by the kernel-level walk (403)
// unless Config.FollowSymlinks allows it; the refusal is logged at Warn
// once per path with the option to set (symlinks.go). Dotfiles (.git, .env) are hidden
// (404), except /.well-known/. Error responses carry the status text only,
// never a filesystem path.
//
// A file is served with its Content-Type from a built-in table (mime.go)
// or, for a name the table does not know (README, LICENSE), sniffed from
// its first 512 bytes once per cached file (sniff.go): image, audio,
// video, font, PDF and archive signatures, else text/plain or
// application/octet-stream by the WHATWG binary-byte rule. Markup is
// never sniffed into an active type (text/html, XML, SVG). Then
// X-Content-Type-Options: nosniff, Last-Modified, a strong ETag made from
// its size and modification time, Accept-Ranges and the configured
// Cache-Control. Conditional requests follow RFC 9110 §13.2.2
// (conditional.go), ranges RFC 9110 §14 (ranges.go): one range is a 206
// with Content-Range, several a multipart/byteranges body, none
// satisfiable a 416 with "Content-Range: bytes */len".
//
// Encodings (compress.go): a precompressed sibling (x.css.br, x.css.gz) is
// chosen by Accept-Encoding; otherwise a compressible type above
// Config.MinCompressSize is compressed on the fly with brotli or gzip.
// Either way the response says Vary: Accept-Encoding and its ETag names
// the encoding. Range requests are always served from the identity bytes.
//
// Large files go out through web.SendFile: sendfile(2) over plain
// HTTP/1.1; over TLS and HTTP/2 read once, straight into the TLS writes
// or the DATA frames (the engines' FileSenders); small files
// are kept in memory (cache.go) and re-checked against the disk at most
// once a second, as nginx's open_file_cache_valid does: the file and its
// precompressed siblings are stat'ed, and the entry is kept, compressed
// copies and all, unless one of them came, went or changed. Every copy
// held (identity, siblings, compressed) counts against
// Config.CacheTotal; a full cache evicts the least recently used of a
// random sample of entries.
//
// Client input is parsed by code with fuzz targets (fuzz_test.go):
// Range, If-Match / If-None-Match, Accept-Encoding and HTTP-dates. List
// fields are read across all their field lines as one list (RFC 9110
// §5.3).
//
// A directory URL without its trailing slash is redirected (301) to the
// slash form, query kept. A directory is answered by its index.html, else
// by an HTML listing (listing.go) when Config.Listing is on, else 403.
// A listing links only to what a request can fetch: names a request path
// refuses (backslash, control bytes, invalid UTF-8), FIFOs, sockets and
// links out of the root are left out. A listing over MinCompressSize is
// compressed as a file is.
//
// # Files
//
//   - config.go: Config and Validate; command.go: the flags of `brick DIR`.
//   - server.go: FileServer, the request flow and the response headers.
//   - path.go: decoding, normalising and checking request paths.
//   - conditional.go, ranges.go, compress.go, mime.go, sniff.go, listing.go,
//     cache.go, symlinks.go.
package static
