package wire

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// parsed is everything Parse decides about one input, as plain values so
// that results reached through different splits compare with DeepEqual.
type parsed struct {
	N             int
	Err           error
	Method        string
	Target        string
	Form          TargetForm
	Path, Query   string
	NilQuery      bool
	Proto         string
	Major, Minor  int
	Host          string
	ContentLength int64
	Chunked       bool
	Close         bool
	Expect100     bool
	Fields        []string // "Name: value", in order
}

func snapshot(r *RequestHead, n int, err error) parsed {
	if err != nil {
		return parsed{N: n, Err: err}
	}
	p := parsed{
		N: n, Method: string(r.Method), Target: string(r.Target), Form: r.Form,
		Path: string(r.Path), Query: string(r.Query), NilQuery: r.Query == nil,
		Proto: string(r.Proto), Major: r.Major, Minor: r.Minor, Host: string(r.Host),
		ContentLength: r.ContentLength, Chunked: r.Chunked, Close: r.Close, Expect100: r.Expect100,
	}
	for _, f := range r.Header.Fields() {
		p.Fields = append(p.Fields, string(f.Name)+": "+string(f.Value))
	}
	return p
}

// parseWhole parses raw in one call on a fresh Request.
func parseWhole(raw []byte, lim *Limits) parsed {
	var (
		p RequestParser
		r RequestHead
	)
	n, err := p.Parse(&r, raw, lim)
	return snapshot(&r, n, err)
}

// parseSplit feeds raw to Parse the way a server reads it: the buffer grows
// by the given step sizes (the last one repeated) and Parse is called on
// each longer prefix until it stops asking for more. Each prefix is a fresh
// copy with no spare capacity, so reading past it would panic. With
// viaScanPos, every call uses a new Request restored with ResumeAt, as a
// server that parks idle connections does; otherwise one Request is reused.
// It fails t if a call before the last returned anything but ErrNeedMore
// or if the final result came before the head was complete.
func parseSplit(t *testing.T, raw []byte, lim *Limits, steps []int, viaScanPos bool) parsed {
	t.Helper()
	var (
		p RequestParser
		r RequestHead
	)
	scan := 0
	k, prev := 0, 0
	for i := 0; ; i++ {
		step := steps[min(i, len(steps)-1)]
		prev, k = k, min(len(raw), k+step)
		buf := slices.Clip(slices.Clone(raw[:k]))
		if viaScanPos {
			r, p = RequestHead{}, RequestParser{}
			p.ResumeAt(scan)
		}
		n, err := p.Parse(&r, buf, lim)
		if err == ErrNeedMore {
			scan = p.ScanPos()
			if k == len(raw) {
				return snapshot(&r, n, err)
			}
			continue
		}
		if err == nil && (n > k || n <= prev) {
			t.Fatalf("Parse consumed %d bytes of a %d-byte buffer, after asking for more at %d", n, k, prev)
		}
		return snapshot(&r, n, err)
	}
}

// checkSplits parses raw whole, byte by byte (each way of keeping the
// Request) and in random splits, and fails unless every way gives the
// same result. It returns that result.
func checkSplits(t *testing.T, raw []byte, lim *Limits, seed uint64) parsed {
	t.Helper()
	whole := parseWhole(raw, lim)
	check := func(how string, got parsed) {
		t.Helper()
		if !reflect.DeepEqual(got, whole) {
			t.Fatalf("%s: got %+v\nwhole input gave %+v", how, got, whole)
		}
	}
	check("byte by byte", parseSplit(t, raw, lim, []int{1}, false))
	check("byte by byte via ScanPos", parseSplit(t, raw, lim, []int{1}, true))
	rng := rand.New(rand.NewPCG(seed, uint64(len(raw))))
	for i := 0; i < 20; i++ {
		steps := make([]int, 1+rng.IntN(8))
		for j := range steps {
			steps[j] = 1 + rng.IntN(max(1, len(raw)/2))
		}
		check(fmt.Sprintf("random split %v", steps), parseSplit(t, raw, lim, steps, i%2 == 1))
	}
	return whole
}
