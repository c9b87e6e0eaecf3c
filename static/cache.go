package static

import (
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/web"
)

// revalidateAfter is how long a cached file is trusted before its metadata
// is checked against the disk again (nginx: open_file_cache_valid).
const revalidateAfter = time.Second

// evictSample is how many entries eviction compares to pick the one used
// longest ago: sampled LRU (as Redis does) needs no list to reorder on
// every hit, so a hit stays a read lock and an atomic load.
const evictSample = 5

// touchEvery is the resolution of an entry's last-use time: a hot entry's
// cache line is written at most this often, not on every hit.
const touchEvery = int64(time.Millisecond)

// fileState is what a revalidation compares: whether a name exists, and
// the metadata of what it names.
type fileState struct {
	exists, regular bool
	size, mod       int64
}

func stateOf(fi fs.FileInfo, err error) fileState {
	if err != nil {
		return fileState{}
	}
	return fileState{exists: true, regular: fi.Mode().IsRegular(), size: fi.Size(), mod: fi.ModTime().UnixNano()}
}

// entry is a small file kept in memory with its response fields made.
type entry struct {
	name     string // the file's name in the root (an index file for a directory)
	data     []byte
	identity rep // the identity representation, data from memory
	size     int64
	mod      time.Time
	etag     string
	lastMod  string
	ctype    string
	checked  atomic.Int64 // when the disk was last found to match, in UnixNano
	used     atomic.Int64 // when the entry last answered, in UnixNano
	// siblings records x.br and x.gz as found when the entry was loaded
	// (with Precompressed on): revalidation compares them too, so a
	// sibling that comes, goes or changes reloads the entry, and one that
	// stays the same keeps it.
	siblings [len(codings)]fileState
	// cost is the bytes the entry holds, identity and encoded copies;
	// guarded by the cache's mutex.
	cost int64
	// encoded holds, per coding (the index in codings), the precompressed
	// sibling or the data compressed on first request, or notWorth; nil
	// until known. Atomic, so a hit takes no lock.
	encoded [len(codings)]atomic.Pointer[rep]
	vary    bool // the response varies with Accept-Encoding
}

// cache holds small hot files by request path, within max bytes counting
// every copy it keeps.
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

// put caches e under key, evicting the entries used longest ago to make
// room; an entry larger than the whole cache is not kept.
func (c *cache) put(key string, e *entry) {
	cost := e.footprint()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		c.remove(key, old)
	}
	if cost > c.max {
		return
	}
	if c.m == nil {
		c.m = make(map[string]*entry)
	}
	e.cost = cost
	c.m[key] = e
	c.bytes += cost
	c.evict(e)
}

// grow counts n more bytes held by e, a cached entry that gained an
// encoded copy, evicting others to make room. When e is no longer cached
// (it was replaced or evicted meanwhile) the copy dies with it and is not
// counted.
func (c *cache) grow(key string, e *entry, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] != e {
		return
	}
	e.cost += n
	c.bytes += n
	c.evict(e)
	if c.bytes > c.max {
		c.remove(key, e) // e alone is larger than the cache
	}
}

// drop removes e from the cache if it is still there under key.
func (c *cache) drop(key string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] == e {
		c.remove(key, e)
	}
}

func (c *cache) remove(key string, e *entry) {
	delete(c.m, key)
	c.bytes -= e.cost
}

// evict removes entries other than keep, least recently used of a random
// sample first (map iteration starts at a random place), until the cache
// is within its limit.
func (c *cache) evict(keep *entry) {
	for c.bytes > c.max {
		var victim *entry
		var vkey string
		n := 0
		for k, e := range c.m {
			if e == keep {
				continue
			}
			if victim == nil || e.used.Load() < victim.used.Load() {
				victim, vkey = e, k
			}
			if n++; n == evictSample {
				break
			}
		}
		if victim == nil {
			return
		}
		c.remove(vkey, victim)
	}
}

// footprint is the bytes e holds: identity data and encoded copies.
func (e *entry) footprint() int64 {
	n := int64(len(e.data))
	for i := range e.encoded {
		if v := e.encoded[i].Load(); v != nil {
			n += int64(len(v.data))
		}
	}
	return n
}

// notWorth marks a coding that does not make a cached file smaller.
var notWorth = new(rep)

// addEncoded records v as e's copy in coding i unless one was recorded
// meanwhile (two requests compressing at once); it returns the copy kept
// and whether it is v.
func (e *entry) addEncoded(i int, v *rep) (*rep, bool) {
	if e.encoded[i].CompareAndSwap(nil, v) {
		return v, true
	}
	return e.encoded[i].Load(), false
}

// cached returns the fresh cache entry for key, or nil.
func (s *FileServer) cached(key string) *entry {
	e := s.cache.get(key)
	if e == nil {
		return nil
	}
	now := time.Now().UnixNano()
	if !s.fresh(key, e, now) {
		return nil
	}
	if now-e.used.Load() >= touchEvery {
		e.used.Store(now)
	}
	return e
}

// fresh reports whether a cached entry still describes the disk, checking
// at most once per revalidation interval; a changed entry is dropped.
func (s *FileServer) fresh(key string, e *entry, now int64) bool {
	if now-e.checked.Load() < int64(s.revalidate) {
		return true
	}
	if !s.unchanged(e) {
		s.cache.drop(key, e)
		return false
	}
	e.checked.Store(now)
	return true
}

// unchanged reports whether the file, and with Precompressed its siblings,
// are as they were when e was loaded.
func (s *FileServer) unchanged(e *entry) bool {
	fi, err := s.stat(e.name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.size || !fi.ModTime().Equal(e.mod) {
		return false
	}
	if s.cfg.Precompressed {
		for i, c := range codings {
			if stateOf(s.stat(e.name+c.ext)) != e.siblings[i] {
				return false
			}
		}
	}
	return true
}

// newEntry fills an entry's response fields from the file's metadata and
// its first bytes, head, from which a type the name does not tell is
// sniffed: once per cached file, or per request for one too large to
// cache.
func (s *FileServer) newEntry(fi fs.FileInfo, name string, head []byte) *entry {
	e := &entry{name: name, size: fi.Size(), mod: fi.ModTime(), ctype: contentType(name, head)}
	e.etag = makeETag(e.size, e.mod)
	e.lastMod = e.mod.UTC().Format(httpTime)
	now := time.Now().UnixNano()
	e.checked.Store(now)
	e.used.Store(now)
	e.vary = s.cfg.Compress && compressible(e.ctype) && e.size >= s.cfg.MinCompressSize
	return e
}

// load reads a small file into a new entry, with its precompressed
// siblings when they are small too.
func (s *FileServer) load(f *os.File, fi fs.FileInfo, name string) (*entry, error) {
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	e := s.newEntry(fi, name, data)
	e.data = data
	s.readHook(name)
	e.identity = rep{data: e.data, size: e.size, length: strconv.FormatInt(e.size, 10), etag: e.etag}
	if s.cfg.Precompressed {
		s.loadSiblings(e)
	}
	return e, nil
}

// loadSiblings looks for x.br and x.gz beside a cached file. Each
// sibling's state is taken before it is read: if it changes in between,
// the next revalidation sees a difference and reloads.
func (s *FileServer) loadSiblings(e *entry) {
	for i, c := range codings {
		name := e.name + c.ext
		st := stateOf(s.stat(name))
		e.siblings[i] = st
		if !st.exists || !st.regular || st.size > s.cfg.CacheFileMax {
			continue
		}
		f, err := s.open(name)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err == nil && fi.Mode().IsRegular() && fi.Size() <= s.cfg.CacheFileMax {
			b := make([]byte, fi.Size())
			if _, err := io.ReadFull(f, b); err == nil {
				s.readHook(name)
				e.addEncoded(i, newRep(b, encodedETag(makeETag(fi.Size(), fi.ModTime()), c.name), c.name))
				e.vary = true
			}
		}
		f.Close()
	}
}

// newRep is an encoded copy held in memory.
func newRep(b []byte, etag, coding string) *rep {
	return &rep{data: b, size: int64(len(b)), length: strconv.Itoa(len(b)), etag: etag, coding: coding}
}

func (s *FileServer) readHook(name string) {
	if s.onRead != nil {
		s.onRead(name)
	}
}

// chooseCached picks the representation of a cached file for the
// request's Accept-Encoding, compressing it on first use; a compressed
// copy is counted against the cache limit.
func (s *FileServer) chooseCached(r *web.Request, key string, e *entry) *rep {
	if !e.vary || !r.Header.Has("Accept-Encoding") || r.Header.Has("Range") {
		return &e.identity
	}
	for i, c := range codings {
		if !acceptsEncoding(&r.Header, c.name) {
			continue
		}
		if v := e.encoded[i].Load(); v != nil {
			if v != notWorth {
				return v
			}
			continue
		}
		if !s.cfg.Compress || !compressible(e.ctype) || e.size < s.cfg.MinCompressSize {
			continue
		}
		b, err := compressBytes(e.data, c.name)
		if s.onCompress != nil {
			s.onCompress(e.name, c.name)
		}
		if err != nil || len(b) >= len(e.data) {
			e.addEncoded(i, notWorth)
			continue
		}
		v, added := e.addEncoded(i, newRep(b, encodedETag(e.etag, c.name), c.name))
		if added {
			s.cache.grow(key, e, v.size)
		}
		if v != notWorth {
			return v
		}
	}
	return &e.identity
}
