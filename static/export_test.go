package static

import "time"

// SetTestHooks shortens how long s trusts a cached file (unless
// revalidate is 0) and counts what it reads into the cache and compresses
// there.
func SetTestHooks(s *FileServer, revalidate time.Duration, onRead func(name string), onCompress func(name, coding string)) {
	if revalidate > 0 {
		s.revalidate = revalidate
	}
	s.onRead = onRead
	s.onCompress = onCompress
}

// CacheUse returns the bytes s's cache counts against its limit and the
// bytes its entries actually hold, compressed copies included.
func CacheUse(s *FileServer) (counted, held int64) {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	for _, e := range s.cache.m {
		held += int64(len(e.data))
		for i := range e.encoded {
			if v := e.encoded[i].Load(); v != nil {
				held += int64(len(v.data))
			}
		}
	}
	return s.cache.bytes, held
}

// Cached reports whether the file for request path key is in s's cache.
func Cached(s *FileServer, key string) bool { return s.cache.get(key) != nil }
