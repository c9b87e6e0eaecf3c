package static

import (
	"html"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/brick-server/brick/web"
)

func htmlEscape(s string) string { return html.EscapeString(s) }

// listItem is one row of a directory listing.
type listItem struct {
	name  string
	dir   bool
	size  int64
	mtime string
}

// serveListing answers with an HTML page listing the directory: names
// escaped for HTML and for URLs, directories first, then by name; size and
// modification time; a parent link below the root. Hidden names stay
// hidden, and entries whose link would fail are left out: those that
// cannot be opened (a symlink out of the root, logged once), those that
// are neither a file nor a directory (a FIFO, a socket), and names a
// request path cannot carry (see linkable). A large listing is compressed
// as a file would be.
func (s *FileServer) serveListing(w web.ResponseWriter, r *web.Request, dir *os.File, p string) error {
	ents, err := dir.ReadDir(-1)
	if err != nil {
		return web.Error(500, err)
	}
	items := make([]listItem, 0, len(ents))
	for _, de := range ents {
		n := de.Name()
		if !s.cfg.Dotfiles && strings.HasPrefix(n, ".") {
			continue
		}
		if !linkable(n) {
			continue
		}
		fi, err := s.stat(path.Join(fsName(p), n))
		if err != nil {
			if escapes(err) {
				s.warnEscape(p + n)
			}
			continue
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			continue
		}
		items = append(items, listItem{name: n, dir: fi.IsDir(), size: fi.Size(), mtime: fi.ModTime().UTC().Format("2006-01-02 15:04:05")})
	}
	slices.SortFunc(items, func(a, b listItem) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	var b strings.Builder
	title := htmlEscape("Index of " + p)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" + title + "</title>\n")
	b.WriteString("<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}" +
		"td,th{padding:.2em 1.2em .2em 0;text-align:left}td.size{text-align:right;font-variant-numeric:tabular-nums}</style>\n")
	b.WriteString("</head>\n<body>\n<h1>" + title + "</h1>\n<table>\n<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>\n<tbody>\n")
	if p != "/" {
		b.WriteString("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n")
	}
	for _, it := range items {
		href := escapePath(it.name)
		if strings.HasPrefix(it.name, ".") || strings.Contains(it.name, ":") {
			href = "./" + href // never read as a scheme or a dot-segment
		}
		label, size := it.name, strconv.FormatInt(it.size, 10)
		if it.dir {
			href, label, size = href+"/", label+"/", "-"
		}
		b.WriteString("<tr><td><a href=\"" + htmlEscape(href) + "\">" + htmlEscape(label) + "</a></td><td class=\"size\">" +
			size + "</td><td>" + it.mtime + "</td></tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n</body>\n</html>\n")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	page := []byte(b.String())
	if s.cfg.Compress && int64(len(page)) >= s.cfg.MinCompressSize {
		h.Set("Vary", "Accept-Encoding")
		if r.Header.Has("Accept-Encoding") {
			for _, c := range codings {
				if !acceptsEncoding(&r.Header, c.name) {
					continue
				}
				if z, err := compressBytes(page, c.name); err == nil && len(z) < len(page) {
					h.Set("Content-Encoding", c.name)
					page = z
				}
				break
			}
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(page)))
	_, err = w.Write(page)
	return err
}

// linkable reports whether a directory entry's name survives the trip
// through a link: percent-encoded as the listing writes it, then decoded
// and checked as a request path, it names the same file. Names with a
// backslash, a control byte (a newline) or bytes that are not UTF-8 do
// not: request paths refuse those (path.go) for reasons that hold for
// every file, not only listed ones (a backslash is a separator on
// Windows and to many tools, control bytes forge log lines and fields,
// and non-UTF-8 bytes have no spelling every client keeps). Such names
// are left out of the listing rather than served, so the listing never
// shows a link that fails, and the path rules stay one set, fuzzed and
// attack-tested, instead of growing an exception for listed names.
func linkable(name string) bool {
	p, err := cleanPath([]byte("/" + escapePath(name)))
	return err == nil && p == "/"+name
}
