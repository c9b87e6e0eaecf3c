package metrics

import (
	"strconv"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Past maxSeries pairs, new pairs are counted as other/other.
func TestSeriesCap(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range maxSeries {
				m.get("site", strconv.Itoa(g*maxSeries+i)).codes[1].Inc()
			}
		})
	}
	wg.Wait()
	if n := len(*m.series.Load()); n != maxSeries+1 {
		t.Errorf("%d pairs, want %d", n, maxSeries+1)
	}
	var d dto.Metric
	m.requests.WithLabelValues("other", "other", "2xx").Write(&d)
	if other := d.GetCounter().GetValue(); other != 3*maxSeries {
		t.Errorf("other/other 2xx = %v, want %d", d.GetCounter().GetValue(), 3*maxSeries)
	}
}
