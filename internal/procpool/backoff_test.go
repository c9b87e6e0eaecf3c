package procpool

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name    string
		b       Backoff
		uptimes []time.Duration // one per death
		want    []time.Duration
	}{
		{
			name:    "doubles up to Max",
			b:       Backoff{Min: 100 * ms, Max: 1000 * ms, Stable: 10 * time.Second},
			uptimes: []time.Duration{0, 0, 0, 0, 0, 0},
			want:    []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 1000 * ms},
		},
		{
			name:    "stable run resets",
			b:       Backoff{Min: 100 * ms, Max: 1000 * ms, Stable: 10 * time.Second},
			uptimes: []time.Duration{0, 0, 0, 10 * time.Second, 0, 9 * time.Second},
			want:    []time.Duration{100 * ms, 200 * ms, 400 * ms, 100 * ms, 200 * ms, 400 * ms},
		},
		{
			name:    "zero value uses defaults",
			b:       Backoff{},
			uptimes: []time.Duration{0, time.Second, DefaultBackoffStable, 0},
			want:    []time.Duration{DefaultBackoffMin, 2 * DefaultBackoffMin, DefaultBackoffMin, 2 * DefaultBackoffMin},
		},
		{
			name:    "Max below Min",
			b:       Backoff{Min: 500 * ms, Max: 100 * ms, Stable: time.Second},
			uptimes: []time.Duration{0, 0},
			want:    []time.Duration{500 * ms, 500 * ms},
		},
		{
			name:    "no overflow near the largest duration",
			b:       Backoff{Min: math.MaxInt64 / 3, Max: math.MaxInt64, Stable: time.Second},
			uptimes: []time.Duration{0, 0, 0},
			want:    []time.Duration{math.MaxInt64 / 3, 2 * (math.MaxInt64 / 3), math.MaxInt64},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			var got []time.Duration
			for _, u := range tc.uptimes {
				got = append(got, b.Next(u))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("delays %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoffReset(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute, Stable: time.Hour}
	b.Next(0)
	b.Next(0)
	b.Reset()
	if got := b.Next(0); got != time.Second {
		t.Errorf("Next after Reset = %v, want Min", got)
	}
}
