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
// hidden, and entries that cannot be opened (a symlink out of the root)
// are left out.
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
		fi, err := s.stat(path.Join(fsName(p), n))
		if err != nil {
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
	_, err = w.WriteString(b.String())
	return err
}
