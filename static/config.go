package static

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
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

// Defaults returns the configuration `brick DIR` starts from: listings,
// compression and precompressed siblings on, dotfiles hidden, symlinks
// confined to the root.
func Defaults(root string) Config {
	return Config{Root: root, Listing: true, Compress: true, Precompressed: true}
}

// Validate checks the configuration and fills in defaults: the root must be
// an existing directory, and CacheControl must be a valid field value.
func (c *Config) Validate() error {
	if c.Root == "" {
		return errors.New("static: no root directory")
	}
	if c.Prefix != "" && (c.Prefix[0] != '/' || c.Prefix[len(c.Prefix)-1] != '/') {
		return fmt.Errorf("static: prefix %q must start and end with a slash, e.g. /static/", c.Prefix)
	}
	fi, err := os.Stat(c.Root)
	if err != nil {
		return fmt.Errorf("static: root: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("static: root %s is not a directory", c.Root)
	}
	if c.Index == "" {
		c.Index = "index.html"
	}
	if strings.ContainsAny(c.Index, "/\\") || c.Index == "." || c.Index == ".." {
		return fmt.Errorf("static: index %q must be a plain file name", c.Index)
	}
	for i := 0; i < len(c.CacheControl); i++ {
		if b := c.CacheControl[i]; b < 0x20 && b != '\t' || b == 0x7f {
			return errors.New("static: Cache-Control value has control characters")
		}
	}
	if c.MinCompressSize < 0 {
		return errors.New("static: negative MinCompressSize")
	}
	if c.MinCompressSize == 0 {
		c.MinCompressSize = 1024
	}
	if c.CacheFileMax == 0 {
		c.CacheFileMax = 64 << 10
	}
	if c.CacheTotal <= 0 {
		c.CacheTotal = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
