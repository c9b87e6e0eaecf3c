package static

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/brick-server/brick/web"
)

// FileServer is a web.Handler serving a directory tree; see the package
// documentation for what it does. Make one with New; Close releases its
// root directory.
type FileServer struct {
	cfg     Config
	root    *os.Root
	rootDir string
	cache   cache
	// revalidate is how long a cached file is trusted: revalidateAfter,
	// shortened by tests.
	revalidate time.Duration
	// onRead and onCompress are test hooks, nil in production: called
	// for each file read into the cache and each compression of a cached
	// file.
	onRead     func(name string)
	onCompress func(name, coding string)
	// escapes paces the warnings about symlinks leading out of the root.
	escapes escapeWarner
}

var _ web.Handler = (*FileServer)(nil)

// New validates cfg and opens its root.
func New(cfg Config) (*FileServer, error) {
	cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkRoot(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	s := &FileServer{cfg: cfg, root: root, rootDir: abs, revalidate: revalidateAfter}
	s.cache.max = cfg.CacheTotal
	return s, nil
}

// Close closes the root directory.
func (s *FileServer) Close() error { return s.root.Close() }

// rep is one representation to send: a file's identity bytes or an
// encoded variant of them, from memory (data) or from an open file.
type rep struct {
	data   []byte
	f      *os.File
	size   int64
	length string // Content-Length, made once for a cached representation
	etag   string
	coding string
}

// ServeHTTP answers a GET or HEAD for a file or directory under the root.
func (s *FileServer) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	m := string(r.Method)
	readable := m == "GET" || m == "HEAD"
	rp := r.Path
	if s.cfg.Prefix != "" {
		// The router matched the prefix on the normalised path; only its
		// literal spelling is stripped here, so no second decoding can
		// disagree with the first.
		if !strings.HasPrefix(string(rp), s.cfg.Prefix) {
			return web.Error(404, nil)
		}
		rp = rp[len(s.cfg.Prefix)-1:]
	}
	// Hot path: a small file already in memory, under a path with nothing
	// to decode or normalise.
	if readable && s.cfg.CacheFileMax > 0 && simplePath(rp) {
		if e := s.cached(string(rp)); e != nil {
			return s.serveEntry(w, r, string(rp), e)
		}
	}
	p, err := cleanPath(rp)
	if err != nil {
		return web.Error(400, err)
	}
	if !s.cfg.Dotfiles && hidden(p) {
		return web.Error(404, nil)
	}
	if readable && s.cfg.CacheFileMax > 0 {
		if e := s.cached(p); e != nil {
			return s.serveEntry(w, r, p, e)
		}
	}
	name := fsName(p)
	f, err := s.open(name)
	if err != nil {
		return s.openError(err, p)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return web.Error(500, err)
	}
	if !readable {
		return notAllowed(w)
	}
	if fi.IsDir() {
		if !strings.HasSuffix(p, "/") {
			return redirect(w, r, strings.TrimSuffix(s.cfg.Prefix, "/")+p+"/")
		}
		return s.serveDir(w, r, f, p, name)
	}
	if strings.HasSuffix(p, "/") {
		return web.Error(404, nil) // a file is not a directory
	}
	return s.serveRegular(w, r, f, fi, p, name)
}

// serveRegular serves an open file: from the memory cache when it is small
// enough, else from the disk.
func (s *FileServer) serveRegular(w web.ResponseWriter, r *web.Request, f *os.File, fi fs.FileInfo, key, name string) error {
	if !fi.Mode().IsRegular() {
		return web.Error(403, nil)
	}
	if fi.Size() <= s.cfg.CacheFileMax {
		e, err := s.load(f, fi, name)
		if err != nil {
			return web.Error(500, err)
		}
		s.cache.put(key, e)
		return s.serveEntry(w, r, key, e)
	}
	var head []byte
	if _, known := typeByName(name); !known {
		var buf [sniffLen]byte
		n, err := f.ReadAt(buf[:], 0)
		if err != nil && err != io.EOF {
			return web.Error(500, err)
		}
		head = buf[:n]
	}
	e := s.newEntry(fi, name, head)
	return s.serveLarge(w, r, e, f)
}

// open opens a clean relative name under the root. Through os.Root, every
// symbolic link is resolved inside the root and one leading out fails;
// with FollowSymlinks the plain path is opened (it has no ".." segment).
//
// O_NONBLOCK keeps open(2) of a FIFO in the tree from waiting for a
// writer, which would hold the worker and every connection it serves; the
// FIFO is then refused as not a regular file. It changes nothing for
// regular files and directories.
func (s *FileServer) open(name string) (*os.File, error) {
	const flag = os.O_RDONLY | syscall.O_NONBLOCK
	if s.cfg.FollowSymlinks {
		return os.OpenFile(filepath.Join(s.rootDir, filepath.FromSlash(name)), flag, 0)
	}
	return s.root.OpenFile(name, flag, 0)
}

func (s *FileServer) stat(name string) (fs.FileInfo, error) {
	if s.cfg.FollowSymlinks {
		return os.Stat(filepath.Join(s.rootDir, filepath.FromSlash(name)))
	}
	return s.root.Stat(name)
}

// openError maps a failed open of the clean path p to a status. The error
// itself (it names the path) goes only to the log, for a 500; a symlink
// leading out of the root is logged once per path with the option that
// allows it.
func (s *FileServer) openError(err error, p string) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return web.Error(404, nil)
	case escapes(err):
		s.warnEscape(p)
		return web.Error(403, nil)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ELOOP):
		return web.Error(403, nil)
	}
	return web.Error(500, err)
}

// escapes reports whether os.Root refused a path (a symlink) that leads
// out of the root; os has no exported value for it.
func escapes(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes")
}

func notAllowed(w web.ResponseWriter) error {
	w.Header().Set("Allow", "GET, HEAD")
	return web.Error(405, nil)
}

// redirect answers 301 with the slash form of a directory, query kept.
func redirect(w web.ResponseWriter, r *web.Request, p string) error {
	loc := escapePath(p)
	if r.Query != nil {
		loc += "?" + string(r.Query)
	}
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(301)
	_, err := w.WriteString("<a href=\"" + htmlEscape(loc) + "\">Moved Permanently</a>.\n")
	return err
}

// serveDir serves a directory's index file, or its listing.
func (s *FileServer) serveDir(w web.ResponseWriter, r *web.Request, dir *os.File, p, name string) error {
	idx := path.Join(name, s.cfg.Index)
	f, err := s.open(idx)
	if err == nil {
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return web.Error(500, err)
		}
		if fi.Mode().IsRegular() {
			return s.serveRegular(w, r, f, fi, p, idx)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return s.openError(err, p+s.cfg.Index)
	}
	if !s.cfg.Listing {
		return web.Error(403, nil)
	}
	return s.serveListing(w, r, dir, p)
}

// serveEntry answers from a cached file.
func (s *FileServer) serveEntry(w web.ResponseWriter, r *web.Request, key string, e *entry) error {
	return s.send(w, r, e, s.chooseCached(r, key, e))
}

// serveLarge answers from the disk: a precompressed sibling, the file
// compressed on the fly, or the file itself.
func (s *FileServer) serveLarge(w web.ResponseWriter, r *web.Request, e *entry, f *os.File) error {
	ae := r.Header.Has("Accept-Encoding")
	ranged := r.Header.Has("Range")
	if s.cfg.Precompressed {
		for _, c := range codings {
			sf, err := s.open(e.name + c.ext)
			if err != nil {
				continue
			}
			defer sf.Close()
			fi, err := sf.Stat()
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			e.vary = true
			if ae && !ranged && acceptsEncoding(&r.Header, c.name) {
				return s.send(w, r, e, &rep{f: sf, size: fi.Size(), etag: encodedETag(makeETag(fi.Size(), fi.ModTime()), c.name), coding: c.name})
			}
		}
	}
	if e.vary && ae && !ranged {
		for _, c := range codings {
			if acceptsEncoding(&r.Header, c.name) {
				return s.sendCompressed(w, r, e, f, c.name)
			}
		}
	}
	return s.send(w, r, e, &rep{f: f, size: e.size, etag: e.etag})
}

// setHeaders sets the fields every answer about the file carries.
func (s *FileServer) setHeaders(w web.ResponseWriter, e *entry, v *rep) {
	h := w.Header()
	h.Add("Content-Type", e.ctype)
	h.Add("X-Content-Type-Options", "nosniff")
	h.Add("Last-Modified", e.lastMod)
	h.Add("ETag", v.etag)
	h.Add("Accept-Ranges", "bytes")
	if s.cfg.CacheControl != "" {
		h.Add("Cache-Control", s.cfg.CacheControl)
	}
	if e.vary {
		h.Add("Vary", "Accept-Encoding")
	}
	if v.coding != "" {
		h.Add("Content-Encoding", v.coding)
	}
}

// send answers with one representation: conditionals, ranges, body.
func (s *FileServer) send(w web.ResponseWriter, r *web.Request, e *entry, v *rep) error {
	s.setHeaders(w, e, v)
	h := w.Header()
	switch precondition(r, v.etag, e.mod) {
	case 304:
		h.Del("Content-Type")
		w.WriteHeader(304)
		return nil
	case 412:
		return web.Error(412, nil)
	}
	if string(r.Method) == "GET" && v.coding == "" {
		if rv := r.Header.Get("Range"); rv != nil && ifRangeHolds(r, v.etag, e.mod) {
			var buf [4]byteRange
			ranges, ignore := parseRange(buf[:0], rv, v.size)
			if !ignore {
				return s.sendRanges(w, e, v, ranges)
			}
		}
	}
	n := v.length
	if n == "" {
		n = strconv.FormatInt(v.size, 10)
	}
	h.Add("Content-Length", n)
	w.WriteHeader(200)
	return writeBody(w, v, 0, v.size)
}

// sendRanges answers a satisfiable (206) or unsatisfiable (416) Range.
func (s *FileServer) sendRanges(w web.ResponseWriter, e *entry, v *rep, ranges []byteRange) error {
	h := w.Header()
	if len(ranges) == 0 {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(v.size, 10))
		return web.Error(416, nil)
	}
	if len(ranges) == 1 {
		br := ranges[0]
		var b [64]byte
		h.AddBytes([]byte("Content-Range"), appendContentRange(b[:0], br, v.size))
		h.AddBytes([]byte("Content-Length"), strconv.AppendInt(b[:0], br.length, 10))
		w.WriteHeader(206)
		return writeBody(w, v, br.start, br.length)
	}
	mp := newMultipart(ranges, v.size, e.ctype)
	h.Set("Content-Type", "multipart/byteranges; boundary="+mp.boundary)
	h.Add("Content-Length", strconv.FormatInt(mp.length, 10))
	w.WriteHeader(206)
	for i, br := range ranges {
		if _, err := w.WriteString(mp.heads[i]); err != nil {
			return err
		}
		if err := writeBody(w, v, br.start, br.length); err != nil {
			return err
		}
	}
	_, err := w.WriteString(mp.tail)
	return err
}

// writeBody writes n bytes of the representation from offset.
func writeBody(w web.ResponseWriter, v *rep, offset, n int64) error {
	if v.data != nil {
		_, err := w.Write(v.data[offset : offset+n])
		return err
	}
	k, err := web.SendFile(w, v.f, offset, n)
	if err == nil && k < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// sendCompressed streams a large file through a compressor; the length is
// not known in advance, so the response is chunked.
func (s *FileServer) sendCompressed(w web.ResponseWriter, r *web.Request, e *entry, f *os.File, coding string) error {
	v := &rep{etag: encodedETag(e.etag, coding), coding: coding}
	s.setHeaders(w, e, v)
	switch precondition(r, v.etag, e.mod) {
	case 304:
		w.Header().Del("Content-Type")
		w.WriteHeader(304)
		return nil
	case 412:
		return web.Error(412, nil)
	}
	w.WriteHeader(200)
	if string(r.Method) == "HEAD" {
		return nil
	}
	return compressTo(writerOnly{w}, f, coding)
}
