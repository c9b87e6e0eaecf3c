package static

import (
	"path"
	"strings"
)

// types maps lower-case extensions to media types: the web's common types.
// Text types carry charset=utf-8. A name the table does not know (README,
// LICENSE, x.dat) is typed by its first bytes (sniff.go).
//
// Source and documentation formats that have no media type a browser
// displays (text/x-rst, text/x-c and the like are downloaded) are
// text/plain, so they open in the browser as text.
var types = map[string]string{
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
	".map": "application/json", ".webmanifest": "application/manifest+json",
	".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8",
	".markdown": "text/markdown; charset=utf-8",
	".csv":      "text/csv; charset=utf-8", ".xml": "text/xml; charset=utf-8",
	".rss": "application/rss+xml", ".atom": "application/atom+xml",
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".avif": "image/avif", ".ico": "image/x-icon", ".bmp": "image/bmp",
	".tif": "image/tiff", ".tiff": "image/tiff",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
	".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mov": "video/quicktime",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".wav": "audio/wav",
	".flac": "audio/flac", ".m4a": "audio/mp4", ".opus": "audio/opus",
	".pdf": "application/pdf", ".zip": "application/zip", ".gz": "application/gzip",
	".tgz": "application/gzip", ".br": "application/octet-stream", ".tar": "application/x-tar",
	".wasm": "application/wasm", ".ics": "text/calendar; charset=utf-8",
	".yaml": "text/yaml; charset=utf-8", ".yml": "text/yaml; charset=utf-8",
	".xhtml": "application/xhtml+xml", ".epub": "application/epub+zip",
	".rst": textPlain, ".text": textPlain, ".log": textPlain, ".adoc": textPlain,
	".tex": textPlain, ".toml": textPlain, ".ini": textPlain, ".cfg": textPlain,
	".conf": textPlain, ".properties": textPlain, ".diff": textPlain, ".patch": textPlain,
	".go": textPlain, ".py": textPlain, ".pyi": textPlain, ".sh": textPlain,
	".c": textPlain, ".h": textPlain, ".cc": textPlain, ".cpp": textPlain, ".hpp": textPlain,
	".rs": textPlain, ".java": textPlain, ".kt": textPlain, ".rb": textPlain,
	".pl": textPlain, ".lua": textPlain, ".sql": textPlain, ".tsx": textPlain, ".jsx": textPlain,
}

// contentType returns the media type for a file name, sniffed from head,
// the file's first bytes (sniffLen are enough), when the extension does
// not say.
func contentType(name string, head []byte) string {
	if t, ok := typeByName(name); ok {
		return t
	}
	return sniff(head)
}

// typeByName looks the name's extension up in types.
func typeByName(name string) (string, bool) {
	ext := path.Ext(name)
	if t, ok := types[ext]; ok {
		return t, true
	}
	t, ok := types[strings.ToLower(ext)]
	return t, ok
}

// compressible reports whether a media type gains from compression:
// text, and the structured text formats under application/ and image/.
func compressible(ctype string) bool {
	if strings.HasPrefix(ctype, "text/") {
		return true
	}
	switch ctype {
	case "application/json", "application/manifest+json", "application/rss+xml",
		"application/atom+xml", "image/svg+xml", "application/xhtml+xml",
		"application/wasm", "image/x-icon", "image/bmp", "font/ttf", "font/otf":
		return true
	}
	return false
}
