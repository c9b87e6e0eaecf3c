package static

import "flag"

// RegisterFlags adds the flags of `brick DIR` to fs and returns the
// configuration they fill; the caller sets Root from the argument and
// passes the result to New.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := Defaults("")
	fs.BoolVar(&c.Listing, "listing", c.Listing, "DIR: list directories that have no index.html (-listing=false: 403)")
	fs.StringVar(&c.CacheControl, "cache-control", "", "DIR: Cache-Control value for files, e.g. 'public, max-age=3600' (default none)")
	fs.BoolVar(&c.Compress, "compress", c.Compress, "DIR: gzip/brotli compressible files on the fly")
	fs.Int64Var(&c.MinCompressSize, "compress-min", 1024, "DIR: smallest file compressed on the fly, in bytes")
	fs.BoolVar(&c.Precompressed, "precompressed", c.Precompressed, "DIR: serve x.br / x.gz beside x when the client accepts them")
	fs.BoolVar(&c.Dotfiles, "dotfiles", c.Dotfiles, "DIR: serve names starting with a dot (hidden by default)")
	fs.BoolVar(&c.FollowSymlinks, "follow-symlinks", c.FollowSymlinks, "DIR: follow symlinks that lead outside DIR (refused by default)")
	return &c
}
