package main

import (
	"flag"

	"github.com/brick-server/brick/config"
)

// tlsFlags registers -tls-cert and -tls-key on a quick mode's flag set:
// they compile to listen_tls (the -addr addresses) and the site's tls
// setting, as a file would say it (config.QuickTLS), in finish.
func tlsFlags(fs *flag.FlagSet) *config.QuickTLS {
	q := new(config.QuickTLS)
	q.RegisterFlags(fs)
	return q
}
