package static

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/brick-server/brick/internal/units"
	"github.com/brick-server/brick/wire"
)

// Config says what a FileServer serves and how.
type Config struct {
	// Root is the directory to serve.
	Root string
	// Prefix is the URL path the root is served under, ending in "/"
	// (for example "/static/" in a site whose other paths go elsewhere):
	// it is stripped before the rest names a file, and kept in redirects.
	// Requests outside it get 404. Default: the root is served at "/".
	Prefix string
	// Index is the file that answers for its directory; "index.html"
	// when empty.
	Index string
	// Listing turns on HTML directory listings for directories without
	// an index file; without it such a directory is 403.
	Listing bool
	// CacheControl is the Cache-Control value of file responses; empty
	// sends none.
	CacheControl string
	// Compress turns on brotli and gzip compression on the fly for
	// compressible types of at least MinCompressSize bytes.
	Compress bool
	// MinCompressSize is the smallest body compressed on the fly; 1024
	// when zero.
	MinCompressSize int64
	// Precompressed serves x.br or x.gz beside x when the client accepts
	// that encoding.
	Precompressed bool
	// Dotfiles serves names starting with a dot; by default they are 404,
	// except under /.well-known/.
	Dotfiles bool
	// FollowSymlinks follows symbolic links that lead outside Root; by
	// default they are refused with 403. Links inside the root always work.
	FollowSymlinks bool
	// CacheFileMax is the largest file kept in memory (64 KiB when zero,
	// none when negative); CacheTotal caps the memory cache (64 MiB when
	// zero).
	CacheFileMax int64
	CacheTotal   int64
	// Logger receives I/O errors (500s are logged by the server too); nil
	// uses slog.Default.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of a static route, in the file and
// in code alike: index.html, on-the-fly compression from 1 KiB,
// precompressed siblings, no listings, dotfiles hidden, symlinks
// confined to the root, a memory cache of 64 MiB for files up to 64 KiB.
// Root is left for the caller.
func DefaultConfig() Config {
	return Config{Index: "index.html", Compress: true, MinCompressSize: 1024, Precompressed: true,
		CacheFileMax: 64 << 10, CacheTotal: 64 << 20}
}

// Defaults returns DefaultConfig serving root with directory listings on:
// a directory browsed by hand.
func Defaults(root string) Config {
	c := DefaultConfig()
	c.Root, c.Listing = root, true
	return c
}

// Validate checks the values of the configuration, without looking at
// the machine (New checks that Root is a directory). A zero Index,
// MinCompressSize, CacheFileMax or CacheTotal means its default. Every
// problem is a *units.FieldError naming the file key, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	if c.Root == "" {
		bad("root", "static root is empty; give the directory to serve")
	} else if strings.ContainsRune(c.Root, 0) {
		bad("root", "static root contains a NUL byte")
	}
	if c.Prefix != "" && (c.Prefix[0] != '/' || c.Prefix[len(c.Prefix)-1] != '/') {
		bad("prefix", "static prefix %q must start and end with a slash, e.g. /static/", c.Prefix)
	}
	if c.Index == "." || c.Index == ".." || strings.ContainsAny(c.Index, "/\\\x00") {
		bad("index", "static index %q must be a plain file name such as \"index.html\"", c.Index)
	}
	if why := wire.FieldValueProblem(c.CacheControl); why != "" {
		bad("cache_control", "static cache_control contains %s", why)
	}
	if c.MinCompressSize < 0 {
		bad("compress_min", "static compress_min must not be negative")
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero values that mean a default.
func (c *Config) withDefaults() {
	d := DefaultConfig()
	if c.Index == "" {
		c.Index = d.Index
	}
	if c.MinCompressSize == 0 {
		c.MinCompressSize = d.MinCompressSize
	}
	if c.CacheFileMax == 0 {
		c.CacheFileMax = d.CacheFileMax
	}
	if c.CacheTotal <= 0 {
		c.CacheTotal = d.CacheTotal
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// checkRoot checks that Root is a directory.
func (c *Config) checkRoot() error {
	fi, err := os.Stat(c.Root)
	if err != nil {
		return fmt.Errorf("static: root: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("static: root %s is not a directory", c.Root)
	}
	return nil
}
