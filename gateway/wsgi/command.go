package wsgi

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RegisterFlags adds the flags of `brick wsgi` to fs and returns the
// configuration they fill; the caller sets App from the argument.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Dir, "chdir", "", "directory to run the workers in and import the application from")
	fs.StringVar(&c.Python, "python", "", "Python interpreter (default: the first python3 that can import the application's framework)")
	fs.IntVar(&c.Workers, "workers", 0, "number of Python worker processes (default: number of CPUs)")
	fs.Var((*seconds)(&c.Timeout), "timeout", "seconds a request may run in a worker before 504, a logged stack and a restart (default 30; 1m30s works too)")
	fs.Var((*seconds)(&c.StartTimeout), "start-timeout", "seconds a worker may take to import the application (default 60)")
	fs.IntVar(&c.MaxRequests, "max-requests", 0, "recycle a worker after this many requests (0: never)")
	fs.IntVar(&c.MaxRequestsJitter, "max-requests-jitter", -1, "add a random 0..N to --max-requests per worker (default: a tenth of it)")
	fs.Var((*byteSize)(&c.MaxMemory), "max-memory", "recycle a worker whose resident memory exceeds this, e.g. 512MiB (0: no bound)")
	fs.Var((*envList)(&c.Env), "env", "K=V to add to the workers' environment (repeatable)")
	fs.StringVar(&c.Mount, "mount", "", "URL prefix the application lives under (SCRIPT_NAME), e.g. /app")
	fs.IntVar(&c.QueueSize, "queue", 1024, "requests that may wait for a busy worker; more get 503")
	return c
}

// Finish fills what RegisterFlags' flags leave to be computed.
func (c *Config) Finish() {
	if c.MaxRequestsJitter < 0 {
		c.MaxRequestsJitter = c.MaxRequests / 10
	}
}

// byteSize is a flag.Value for sizes such as 512MiB, 1G or 1048576.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := ParseSize(s)
	*b = byteSize(n)
	return err
}

// ParseSize parses a byte count with an optional unit: K, M, G (powers of
// 1024, with or without "iB"/"B").
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	upper := strings.ToUpper(t)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(upper, u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 512MiB)", s)
	}
	return n * mult, nil
}

// seconds is a flag.Value for a duration given in seconds, as gunicorn's
// --timeout is, or as a Go duration.
type seconds time.Duration

func (d *seconds) String() string { return time.Duration(*d).String() }

func (d *seconds) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
		*d = seconds(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a number of seconds", s)
	}
	*d = seconds(v)
	return nil
}

// envList is a repeatable K=V flag.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(s string) error {
	if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
		return fmt.Errorf("%q is not K=V", s)
	}
	*e = append(*e, s)
	return nil
}
