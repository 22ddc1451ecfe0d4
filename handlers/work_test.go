package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// gatedStore is a store whose Items and Tile calls each wait for a token
// on gate once they have begun, noting how many run at once. local makes
// it a geo.LocalStore (localGatedStore).
type gatedStore struct {
	geo.Store // the memory store, without its Local
	mem       *memory.Store
	gate      chan struct{}
	mu        sync.Mutex
	inside    int
	most      int
	started   int
	entered   chan struct{} // one send per call begun
}

func newGatedStore() *gatedStore {
	mem := memory.New(storetest.Fixture())
	return &gatedStore{Store: mem, mem: mem, gate: make(chan struct{}), entered: make(chan struct{}, 100)}
}

func (s *gatedStore) enter(ctx context.Context) error {
	s.mu.Lock()
	s.inside++
	s.started++
	s.most = max(s.most, s.inside)
	s.mu.Unlock()
	s.entered <- struct{}{}
	defer func() {
		s.mu.Lock()
		s.inside--
		s.mu.Unlock()
	}()
	select {
	case <-s.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *gatedStore) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	if err := s.enter(ctx); err != nil {
		return geo.Page{}, err
	}
	return s.Store.Items(ctx, collection, q)
}

func (s *gatedStore) Tile(ctx context.Context, collection string, t maptile.Tile, q geo.Query) ([]byte, error) {
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	return s.mem.Tile(ctx, collection, t, q)
}

// Changes is the memory store's: the server reads it to know the dated
// layers' epochs, which is not computing a page or a tile.
func (s *gatedStore) Changes(ctx context.Context, collection string) (*geo.Changes, error) {
	return s.mem.Changes(ctx, collection)
}

func (s *gatedStore) counts() (inside, most, started int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inside, s.most, s.started
}

// waitEntered waits for n calls to have begun; a wait of a minute fails the
// test (the calls are stuck, not slow).
func (s *gatedStore) waitEntered(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-s.entered:
		case <-time.After(time.Minute):
			inside, most, started := s.counts()
			t.Fatalf("waited a minute for a store call to begin: %d inside, at most %d, %d begun", inside, most, started)
		}
	}
}

// localGatedStore is a gatedStore that answers from memory, as the
// embedded store does (geo.LocalStore).
type localGatedStore struct{ *gatedStore }

func (localGatedStore) Local() {}

// workPaths are distinct items pages and tiles of the fixture: no two share
// an answer, a section or a tile.
func workPaths(n int) []string {
	var out []string
	for i := range n {
		if i%2 == 0 {
			out = append(out, fmt.Sprintf("/collections/areas/items?limit=%d", 1+i))
		} else {
			out = append(out, fmt.Sprintf("/collections/areas/tiles/WebMercatorQuad/%d/0/0", i%20))
		}
	}
	return out
}

// serveAll asks every path at once and returns their recorders once all
// are answered (on done).
func serveAll(e http.Handler, paths []string, ctxs []context.Context) (recs []*httptest.ResponseRecorder, done chan struct{}) {
	recs = make([]*httptest.ResponseRecorder, len(paths))
	done = make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range paths {
		recs[i] = httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, p, nil)
		if ctxs != nil && ctxs[i] != nil {
			req = req.WithContext(ctxs[i])
		}
		wg.Add(1)
		go func() { defer wg.Done(); e.ServeHTTP(recs[i], req) }()
	}
	go func() { wg.Wait(); close(done) }()
	return recs, done
}

// TestWorkTurns: with a store that answers from memory, no more pages and
// tiles are computed at once than Options.Workers, and every request is
// answered as the turns free; a store that waits on a database is not
// bounded.
func TestWorkTurns(t *testing.T) {
	const workers, asked = 2, 7
	st := newGatedStore()
	e := serverWith(t, localGatedStore{st}, handlers.Options{Workers: workers})
	recs, done := serveAll(e, workPaths(asked), nil)
	st.waitEntered(t, workers)
	for k := workers; k < asked; k++ {
		st.gate <- struct{}{} // one call ends, and gives its turn to the next
		st.waitEntered(t, 1)
		if inside, _, _ := st.counts(); inside > workers {
			t.Fatalf("%d computed at once with %d turns", inside, workers)
		}
	}
	for range workers {
		st.gate <- struct{}{}
	}
	<-done
	if _, most, started := st.counts(); most != workers || started != asked {
		t.Errorf("at most %d computed at once, %d begun; want %d and %d", most, started, workers, asked)
	}
	for i, rec := range recs {
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", workPaths(asked)[i], rec.Code)
		}
	}

	// Without LocalStore, or with a negative Workers, every request
	// reaches the store at once.
	for _, tc := range []struct {
		name    string
		store   func(*gatedStore) geo.Store
		workers int
	}{
		{"a store that is not local", func(g *gatedStore) geo.Store { return g }, workers},
		{"a negative Workers", func(g *gatedStore) geo.Store { return localGatedStore{g} }, -1},
	} {
		name := tc.name
		st = newGatedStore()
		e = serverWith(t, tc.store(st), handlers.Options{Workers: tc.workers})
		recs, done = serveAll(e, workPaths(asked), nil)
		st.waitEntered(t, asked)
		close(st.gate)
		<-done
		if _, most, _ := st.counts(); most != asked {
			t.Errorf("%s: at most %d at once, want %d", name, most, asked)
		}
		for i, rec := range recs {
			if rec.Code != http.StatusOK {
				t.Errorf("%s: %s: status %d", name, workPaths(asked)[i], rec.Code)
			}
		}
	}
}

// waitMetric waits until the server's /metrics has the line want; a wait
// of a minute fails the test (the request it waits for is stuck).
func waitMetric(t *testing.T, e http.Handler, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if strings.Contains(rec.Body.String(), "\n"+want+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %q in /metrics", want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWorkTurnCancelled: a request cancelled while it waits for a turn
// leaves the queue without reaching the store, and takes no turn from the
// requests after it; the gauges say how many compute and wait.
func TestWorkTurnCancelled(t *testing.T) {
	st := newGatedStore()
	e := serverWith(t, localGatedStore{st}, handlers.Options{Workers: 1})
	paths := workPaths(3)
	first, firstDone := serveAll(e, paths[:1], nil)
	st.waitEntered(t, 1)
	waitMetric(t, e, "controlmap_work_running 1")
	ctx, cancel := context.WithCancel(context.Background())
	waiting, waitingDone := serveAll(e, paths[1:2], []context.Context{ctx})
	waitMetric(t, e, "controlmap_work_waiting 1") // in the queue, not before it
	cancel()
	select {
	case <-waitingDone:
	case <-time.After(time.Minute):
		t.Fatal("a request cancelled while it waited for a turn still waits a minute later")
	}
	if waiting[0].Code == http.StatusOK {
		t.Errorf("a request cancelled while waiting was answered 200")
	}
	waitMetric(t, e, "controlmap_work_waiting 0")
	if _, _, started := st.counts(); started != 1 {
		t.Errorf("%d store calls began, want 1: the cancelled request reached the store", started)
	}
	st.gate <- struct{}{}
	<-firstDone
	if first[0].Code != http.StatusOK {
		t.Errorf("first request: status %d", first[0].Code)
	}
	waitMetric(t, e, "controlmap_work_running 0")
	// The turn is free again: the next request is computed.
	last, lastDone := serveAll(e, paths[2:], nil)
	st.waitEntered(t, 1)
	st.gate <- struct{}{}
	<-lastDone
	if last[0].Code != http.StatusOK {
		t.Errorf("a request after the cancelled one: status %d", last[0].Code)
	}
}

// TestWorkDownloadTakesNoTurn: a download is computed while every turn is
// taken; a page asked at the same time waits.
func TestWorkDownloadTakesNoTurn(t *testing.T) {
	st := newGatedStore()
	e := serverWith(t, localGatedStore{st}, handlers.Options{Workers: 1})
	_, pageDone := serveAll(e, workPaths(1), nil) // takes the one turn
	st.waitEntered(t, 1)
	waitMetric(t, e, "controlmap_work_running 1")
	download, downloadDone := serveAll(e, []string{"/collections/areas/items?download=1"}, nil)
	st.waitEntered(t, 1) // reached the store with the turn taken
	_, waitingDone := serveAll(e, workPaths(3)[2:], nil)
	waitMetric(t, e, "controlmap_work_waiting 1") // a page does wait
	if inside, _, _ := st.counts(); inside != 2 {
		t.Errorf("%d store calls at once, want 2: the first page and the download", inside)
	}
	for range 3 {
		st.gate <- struct{}{}
	}
	<-pageDone
	<-downloadDone
	<-waitingDone
	if download[0].Code != http.StatusOK {
		t.Errorf("download: status %d", download[0].Code)
	}
}

// TestWorkMetricsOnlyWhenBounded: a server that bounds nothing has no
// series of turns.
func TestWorkMetricsOnlyWhenBounded(t *testing.T) {
	e := serverWith(t, newGatedStore(), handlers.Options{})
	if body := get(t, e, "/metrics", http.StatusOK).Body.String(); strings.Contains(body, "controlmap_work_") {
		t.Errorf("a store that is not local has the series of turns")
	}
}
