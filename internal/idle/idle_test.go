package idle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestReleasesOncePerBurstAfterTheQuietSpell(t *testing.T) {
	now := time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)
	var allocated uint64
	released := 0
	r := &Releaser{Quiet: 2 * time.Second, MinAllocated: 100,
		now: func() time.Time { return now }, allocated: func() uint64 { return allocated }, release: func() { released++ }}
	block := make(chan struct{})
	started := make(chan struct{})
	h := r.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/slow" {
			close(started)
			<-block
		}
	}))
	serve := func(path string, alloc uint64) {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		allocated += alloc
	}

	if r.check() || released != 0 {
		t.Fatal("released before any request")
	}
	serve("/a", 150)
	now = now.Add(time.Second)
	if r.check() {
		t.Fatal("released one second after the request, before the quiet spell")
	}
	now = now.Add(time.Second)
	if !r.check() || released != 1 {
		t.Fatalf("not released after the quiet spell (%d releases)", released)
	}
	now = now.Add(time.Minute)
	if r.check() || released != 1 {
		t.Fatal("released again with no request since")
	}

	// A light burst (a health check) is not worth a collection.
	serve("/healthz", 10)
	now = now.Add(3 * time.Second)
	if r.check() || released != 1 {
		t.Fatal("released after a burst that allocated 10 bytes, below MinAllocated")
	}

	// A request still running holds the release back, however long it takes.
	done := make(chan struct{})
	go func() { serve("/slow", 200); close(done) }()
	<-started
	now = now.Add(time.Hour)
	if r.check() {
		t.Fatal("released while a request was running")
	}
	close(block)
	<-done
	if r.check() {
		t.Fatal("released at the end of the request, before the quiet spell")
	}
	now = now.Add(2 * time.Second)
	if !r.check() || released != 2 {
		t.Fatalf("not released after the second burst (%d releases)", released)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	var n atomic.Int32
	r := &Releaser{Quiet: 20 * time.Millisecond, MinAllocated: 1, release: func() { n.Add(1) }}
	r.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(make([]byte, 1<<10)) // allocates
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	for n.Load() == 0 {
		time.Sleep(5 * time.Millisecond) // the release comes after the quiet spell; the test's own timeout bounds it
	}
	cancel()
	<-stopped
	if n.Load() != 1 {
		t.Errorf("%d releases for one burst", n.Load())
	}
}

func TestHeapAllocatedGrows(t *testing.T) {
	before := heapAllocated()
	sink = make([]byte, 1<<20)
	if after := heapAllocated(); after < before+1<<20 {
		t.Errorf("heap allocations %d -> %d after allocating 1 MiB", before, after)
	}
}

var sink []byte
