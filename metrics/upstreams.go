package metrics

import (
	"encoding/json"
	"time"
)

// upstreamsDoc is the body of GET /upstreams.
type upstreamsDoc struct {
	Routes []routeDoc `json:"routes"`
}

type routeDoc struct {
	Route     string        `json:"route"`
	Upstreams []upstreamDoc `json:"upstreams"`
}

type upstreamDoc struct {
	URL       string `json:"url"`
	Healthy   bool   `json:"healthy"`
	Available bool   `json:"available"`
	InFlight  int64  `json:"in_flight"`
	Idle      int    `json:"idle_connections"`
	Failures  uint64 `json:"failures"`
	// LastCheck is RFC 3339, or null without active checks.
	LastCheck      *time.Time `json:"last_check"`
	LastCheckError string     `json:"last_check_error,omitempty"`
}

// UpstreamsJSON renders a snapshot as the admin endpoint's JSON: the
// routes in order, each with its upstreams:
//
//	{"routes": [{"route": "/api/", "upstreams": [{"url": "http://10.0.0.5:8000",
//	  "healthy": true, "available": true, "in_flight": 2, "idle_connections": 5,
//	  "failures": 0, "last_check": "2026-12-06T00:10:05Z"}]}]}
//
// healthy is the active check's verdict; available says whether requests
// go to the upstream now (healthy, and not taken out by failures).
func UpstreamsJSON(ups []ProxyUpstream) []byte {
	doc := upstreamsDoc{Routes: []routeDoc{}}
	for _, u := range ups {
		if n := len(doc.Routes); n == 0 || doc.Routes[n-1].Route != u.Route {
			doc.Routes = append(doc.Routes, routeDoc{Route: u.Route})
		}
		d := upstreamDoc{URL: u.Upstream, Healthy: u.Healthy, Available: u.Available, InFlight: u.Active,
			Idle: u.Idle, Failures: u.Failures, LastCheckError: u.CheckError}
		if !u.Checked.IsZero() {
			at := u.Checked.UTC()
			d.LastCheck = &at
		}
		rt := &doc.Routes[len(doc.Routes)-1]
		rt.Upstreams = append(rt.Upstreams, d)
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}
