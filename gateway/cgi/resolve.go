package cgi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/brick-server/brick/web"
)

// script is what a request runs: the file, and how its path splits.
type script struct {
	// name is SCRIPT_NAME: the mount and the script's path under it.
	name string
	// file is the script's real path, symbolic links resolved, inside
	// the real root.
	file string
	// info is PATH_INFO: the rest of the decoded path, "" or from "/".
	info string
}

var (
	errNotFound  = web.Error(404, errors.New("cgi: no script at this path"))
	errForbidden = web.Error(403, errors.New("cgi: the file is not an executable script"))
)

// resolve finds the script a decoded path names: the shortest run of its
// segments under the mount that is an executable regular file inside the
// root. The rest of the path is PATH_INFO. Segments before the script must
// be directories; none may be empty or start with a dot (so no hidden
// file and no "..", which the decoder refuses anyway). The lookups go
// through os.Root, so a symbolic link that leads out of the root is not
// followed; the file run is then named by its real path, checked again
// to lie under the real root.
func (h *Handler) resolve(path string) (script, error) {
	rest, ok := strings.CutPrefix(path, h.cfg.Mount)
	if !ok || rest != "" && rest[0] != '/' {
		return script{}, errNotFound
	}
	root, err := os.OpenRoot(h.root)
	if err != nil {
		return script{}, fmt.Errorf("cgi: the root is gone: %w", err)
	}
	defer root.Close()
	rel := ""
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest[1:], "/")
		if rest != "" {
			rest = "/" + rest
		}
		if seg == "" || seg[0] == '.' {
			return script{}, errNotFound
		}
		if rel != "" {
			rel += "/"
		}
		rel += seg
		fi, err := root.Stat(rel)
		if err != nil {
			// Missing, or a link out of the root: both are "no script
			// here" to the client; only the log may say which.
			if !errors.Is(err, os.ErrNotExist) {
				h.log.Debug("cgi: path refused", "path", path, "err", err)
			}
			return script{}, errNotFound
		}
		switch {
		case fi.IsDir():
			continue
		case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
			return script{}, errForbidden
		}
		file, err := filepath.EvalSymlinks(filepath.Join(h.root, rel))
		if err != nil || !under(file, h.root) {
			return script{}, errNotFound
		}
		return script{name: h.cfg.Mount + "/" + rel, file: file, info: rest}, nil
	}
	return script{}, errNotFound
}

// under reports whether file lies below the directory dir; both are clean
// absolute paths.
func under(file, dir string) bool {
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(file, dir)
}
