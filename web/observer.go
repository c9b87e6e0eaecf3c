package web

import "time"

// Completion is how the server finished with a request, as it tells an
// Observer: what went out, not what a handler meant to send. It knows of
// the server's own answers (a 408 for a body that stopped coming, a 413, a
// 500 for a panic), which middleware around the handler cannot see.
type Completion struct {
	// Status is the status of the final response sent: the handler's, or
	// the server's own answer to a failure; 0 when the connection was
	// closed (Cut) or taken over (Hijacked) before a response head was
	// sent.
	Status int
	// Bytes counts the response body bytes sent or queued to send: 0 for
	// HEAD and for statuses without a body. For a cut response it is what
	// the handler had written when the connection was closed.
	Bytes int64
	// Start is when the server began serving the request (its head had
	// been read), and Duration how long until the response was complete
	// or the connection was cut.
	Start    time.Time
	Duration time.Duration
	// Cut is set when the connection was closed before the response was
	// complete: the handler aborted (ErrAbortHandler), failed or panicked
	// after part of the response had gone out, or the client stopped
	// reading. The client saw a truncated response or none.
	Cut bool
	// Hijacked is set when the handler took over the connection; what it
	// sent afterwards is unknown to the server.
	Hijacked bool
	// ClientGone is set with Cut when the handler found the client gone
	// before it answered (ErrClientGone).
	ClientGone bool
}

// Code returns the status to log and count for c: Status when a response
// went out; for a hijacked connection 101, since it left HTTP; for a
// client that left before the answer 499, and for any other connection
// closed without a response 444, nginx's codes for those.
func (c *Completion) Code() int {
	switch {
	case c.Status != 0:
		return c.Status
	case c.Hijacked:
		return 101
	case c.ClientGone:
		return 499
	}
	return 444
}

// Observer is told of every request the server served once it is done
// with it: after the response is complete (or the connection cut) and
// before the request's memory is reused. Complete runs on the goroutine
// that served the request, in both of the server's connection models, so
// it must be quick and must not block; r and everything it points to are
// valid only during the call (keep r.Clone() to hold on).
//
// A request whose head the server answered itself, without a handler, is
// reported too: a head it could not parse (400, 414, 431, 501, 505) or one
// that stopped coming before it was complete (408). Its Method, Target and
// Proto are empty, as are Site and Route; RemoteAddr, LocalAddr and TLS
// are set. The readiness loops report a 408 from the goroutine that sweeps
// timed-out connections. A connection that sent no byte of a request (a
// new one, or a kept-alive one between requests) has nothing to report.
type Observer interface {
	Complete(r *Request, c Completion)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(r *Request, c Completion)

// Complete calls f(r, c).
func (f ObserverFunc) Complete(r *Request, c Completion) { f(r, c) }

// Observers is an Observer that tells each of its elements in turn: the
// one way several observers (an access log, metrics) attach to a server.
type Observers []Observer

// Complete tells every observer in o.
func (o Observers) Complete(r *Request, c Completion) {
	for _, ob := range o {
		ob.Complete(r, c)
	}
}

var _ Observer = Observers(nil)
