package web

import (
	"context"
	"testing"
)

func TestCompletionCode(t *testing.T) {
	tests := []struct {
		name string
		c    Completion
		want int
	}{
		{"sent", Completion{Status: 200}, 200},
		{"sent then cut", Completion{Status: 200, Cut: true}, 200},
		{"status 742", Completion{Status: 742}, 742},
		{"closed without a response", Completion{Cut: true}, 444},
		{"hijacked", Completion{Hijacked: true}, 101},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Code(); got != tc.want {
				t.Errorf("Code() = %d, want %d", got, tc.want)
			}
		})
	}
}

// Observers tells each of its observers, in order, with the same request.
func TestObservers(t *testing.T) {
	r := &Request{Site: "s"}
	var got []string
	rec := func(name string) Observer {
		return ObserverFunc(func(or *Request, c Completion) {
			if or != r || c.Status != 204 {
				t.Errorf("%s: got %p %+v", name, or, c)
			}
			got = append(got, name)
		})
	}
	Observers{rec("a"), rec("b"), Observers{rec("c")}}.Complete(r, Completion{Status: 204})
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("told %v", got)
	}
}

type ctxKey struct{}

// WithContext returns a copy, as net/http's does; SetContext changes the
// request in place.
func TestContext(t *testing.T) {
	r := &Request{Site: "s", Route: "r", Body: NoBody}
	if r.Context() != context.Background() {
		t.Fatal("zero Request's context is not Background")
	}
	ctx := context.WithValue(context.Background(), ctxKey{}, 1)
	c := r.WithContext(ctx)
	if c == r || c.Context() != ctx || r.Context() != context.Background() {
		t.Errorf("WithContext changed the original or did not copy")
	}
	if c.Site != "s" || c.Route != "r" || c.Body != NoBody {
		t.Errorf("copy lost fields: %+v", c)
	}
	r.SetContext(ctx)
	if r.Context() != ctx {
		t.Error("SetContext did not set the context")
	}
}
