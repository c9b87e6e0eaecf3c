package static

import "bytes"

// sniffLen is how many leading bytes sniff looks at, as the WHATWG MIME
// Sniffing standard's resource header (and net/http's DetectContentType).
const sniffLen = 512

const (
	textPlain   = "text/plain; charset=utf-8"
	octetStream = "application/octet-stream"
)

// signature is a file format recognised by its first bytes: prefix at
// offset, optionally followed by more at offset2.
type signature struct {
	offset  int
	prefix  string
	offset2 int
	more    string
	ctype   string
}

// signatures are the binary formats worth a specific type: images, audio
// and video a browser shows in place, and documents and archives it hands
// to a viewer or saves. Executables and other binaries fall through to
// the binary-byte rule and are application/octet-stream.
var signatures = [...]signature{
	{prefix: "\x89PNG\r\n\x1a\n", ctype: "image/png"},
	{prefix: "\xff\xd8\xff", ctype: "image/jpeg"},
	{prefix: "GIF87a", ctype: "image/gif"},
	{prefix: "GIF89a", ctype: "image/gif"},
	{prefix: "RIFF", offset2: 8, more: "WEBPVP", ctype: "image/webp"},
	{prefix: "RIFF", offset2: 8, more: "WAVE", ctype: "audio/wav"},
	// Short signatures that text could start with ("BMW", "ID3 tags",
	// "OTTO") are matched with the binary bytes that follow them.
	{prefix: "BM", offset2: 6, more: "\x00\x00\x00\x00", ctype: "image/bmp"},
	{prefix: "\x00\x00\x01\x00", ctype: "image/x-icon"},
	{prefix: "\x00\x00\x02\x00", ctype: "image/x-icon"}, // a cursor
	{offset: 4, prefix: "ftypavif", ctype: "image/avif"},
	{offset: 4, prefix: "ftypM4A ", ctype: "audio/mp4"},
	{offset: 4, prefix: "ftyp", ctype: "video/mp4"},
	{prefix: "\x1a\x45\xdf\xa3", ctype: "video/webm"},
	{prefix: "OggS\x00", ctype: "audio/ogg"},
	{prefix: "fLaC", ctype: "audio/flac"},
	{prefix: "ID3\x02", ctype: "audio/mpeg"},
	{prefix: "ID3\x03", ctype: "audio/mpeg"},
	{prefix: "ID3\x04", ctype: "audio/mpeg"},
	{prefix: "wOFF", ctype: "font/woff"},
	{prefix: "wOF2", ctype: "font/woff2"},
	{prefix: "OTTO\x00", ctype: "font/otf"},
	{prefix: "\x00\x01\x00\x00", ctype: "font/ttf"},
	{prefix: "\x00asm", ctype: "application/wasm"},
	{prefix: "%PDF-", ctype: "application/pdf"},
	{prefix: "%!PS-Adobe-", ctype: "application/postscript"},
	{prefix: "PK\x03\x04", ctype: "application/zip"},
	{prefix: "\x1f\x8b\x08", ctype: "application/gzip"},
	{prefix: "Rar!\x1a\x07", ctype: "application/vnd.rar"},
	{prefix: "7z\xbc\xaf\x27\x1c", ctype: "application/x-7z-compressed"},
	{prefix: "\x7fELF", ctype: octetStream},
}

func (s *signature) match(b []byte) bool {
	return hasAt(b, s.offset, s.prefix) && (s.more == "" || hasAt(b, s.offset2, s.more))
}

func hasAt(b []byte, off int, s string) bool {
	return len(b) >= off+len(s) && string(b[off:off+len(s)]) == s
}

// sniff guesses the media type of a file the extension table does not
// know from its first sniffLen bytes, as net/http's DetectContentType
// does, with one deliberate difference: it never answers an active type.
// DetectContentType turns bytes that start like "<html", "<script" or
// "<?xml" into text/html or text/xml, and a browser runs the scripts of
// such a page with the site's origin (its cookies, its other pages). A
// file server publishes whatever is in the directory — an uploaded
// README, a log with a user's input in it — so a name that does not say
// .html, .xml or .svg never becomes a page: markup is text/plain here,
// shown as source. Types that only display (images, audio, video, fonts)
// or that a browser hands to a sandboxed viewer or saves (PDF, archives)
// are recognised by signature.
//
// Anything else is text when its first bytes hold no "binary data byte"
// of the WHATWG MIME Sniffing standard (the C0 controls except TAB, LF,
// FF, CR and ESC), else application/octet-stream. A byte order mark
// decides the text's charset.
func sniff(b []byte) string {
	if len(b) > sniffLen {
		b = b[:sniffLen]
	}
	switch {
	case bytes.HasPrefix(b, []byte("\xfe\xff")):
		return "text/plain; charset=utf-16be"
	case bytes.HasPrefix(b, []byte("\xff\xfe")):
		return "text/plain; charset=utf-16le"
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		return textPlain
	}
	for i := range signatures {
		if signatures[i].match(b) {
			return signatures[i].ctype
		}
	}
	for _, c := range b {
		if binaryByte(c) {
			return octetStream
		}
	}
	return textPlain
}

// binaryByte is the WHATWG MIME Sniffing standard's "binary data byte":
// 0x00–0x08, 0x0B, 0x0E–0x1A, 0x1C–0x1F.
func binaryByte(c byte) bool {
	return c <= 0x08 || c == 0x0b || 0x0e <= c && c <= 0x1a || 0x1c <= c && c <= 0x1f
}
