package bufpool

import "testing"

func TestGetCapacity(t *testing.T) {
	tests := []struct{ n, wantCap int }{
		{0, 4096}, {1, 4096}, {4096, 4096}, {4097, 8192}, {65536, 65536}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1},
	}
	for _, tc := range tests {
		b := Get(tc.n)
		if len(b) != 0 || cap(b) != tc.wantCap {
			t.Errorf("Get(%d): len %d cap %d, want 0 and %d", tc.n, len(b), cap(b), tc.wantCap)
		}
		Put(b)
	}
}

func TestPutIgnoresOddSizes(t *testing.T) {
	Put(make([]byte, 100))
	Put(make([]byte, 5000))
	if b := Get(4096); cap(b) != 4096 {
		t.Fatalf("odd-sized buffer came back from the pool: cap %d", cap(b))
	}
}
