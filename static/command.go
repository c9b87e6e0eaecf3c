package static

import (
	"flag"

	"github.com/brick-server/brick/internal/units"
)

// RegisterFlags binds the flags of a static route to c, whose values are
// the flags' defaults. Each flag is the file key of the same setting with
// dashes for underscores (-compress-min is compress_min), so the command
// line and the file configure the same Config.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Index, "index", c.Index, "DIR: the file that answers for a directory")
	fs.BoolVar(&c.Listing, "listing", c.Listing, "DIR: list directories that have no index file (-listing=false: 403)")
	fs.StringVar(&c.CacheControl, "cache-control", c.CacheControl, "DIR: Cache-Control value for files, e.g. 'public, max-age=3600' (default none)")
	fs.BoolVar(&c.Compress, "compress", c.Compress, "DIR: gzip/brotli compressible files on the fly")
	fs.Var(units.Size{P: &c.MinCompressSize}, "compress-min", "DIR: smallest file compressed on the fly, a `size` such as 1KiB")
	fs.BoolVar(&c.Precompressed, "precompressed", c.Precompressed, "DIR: serve x.br / x.gz beside x when the client accepts them")
	fs.BoolVar(&c.Dotfiles, "dotfiles", c.Dotfiles, "DIR: serve names starting with a dot (hidden by default)")
	fs.BoolVar(&c.FollowSymlinks, "follow-symlinks", c.FollowSymlinks, "DIR: follow symlinks that lead outside DIR (refused by default)")
}
