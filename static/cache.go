package static

import (
	"sync"
	"sync/atomic"
	"time"
)

// revalidateAfter is how long a cached file is trusted before its metadata
// is checked against the disk again (nginx: open_file_cache_valid).
const revalidateAfter = time.Second

// entry is a small file kept in memory with its response fields made.
type entry struct {
	name    string // the file's name in the root (an index file for a directory)
	data    []byte
	size    int64
	mod     time.Time
	etag    string
	lastMod string
	ctype   string
	length  string // Content-Length of the identity body
	checked atomic.Int64
	// encoded holds, per coding, the precompressed sibling or the data
	// compressed on first request; a nil value means the coding is not
	// worth offering.
	mu      sync.Mutex
	encoded map[string]*rep
	vary    bool // the response varies with Accept-Encoding
}

// cache holds small hot files by request path.
type cache struct {
	mu    sync.RWMutex
	m     map[string]*entry
	bytes int64
	max   int64
}

func (c *cache) get(key string) *entry {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	return e
}

func (c *cache) put(key string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		c.bytes -= int64(len(old.data))
	}
	if c.bytes+int64(len(e.data)) > c.max {
		return
	}
	if c.m == nil {
		c.m = make(map[string]*entry)
	}
	c.m[key] = e
	c.bytes += int64(len(e.data))
}

func (c *cache) drop(key string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] == e {
		delete(c.m, key)
		c.bytes -= int64(len(e.data))
	}
}
