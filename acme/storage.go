package acme

import (
	"os"
	"path/filepath"
)

// systemStorage is where a system service keeps its certificates.
const systemStorage = "/var/lib/brick"

// DefaultStorage is the storage directory when [tls] storage gives none:
// $XDG_DATA_HOME/brick when that is set; else /var/lib/brick when Brick
// may write there (a system service, root); else ~/.local/share/brick, the
// XDG default for a user.
func DefaultStorage() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "brick")
	}
	if writable(systemStorage) || !exists(systemStorage) && writable(filepath.Dir(systemStorage)) {
		return systemStorage
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "brick")
	}
	return systemStorage
}

// writable reports whether a file can be made in dir, by making one (an
// access(2) check would not see a read-only mount or systemd's
// ProtectSystem).
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".brick-write-check-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
