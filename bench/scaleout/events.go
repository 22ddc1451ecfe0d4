package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/controlmap/controlmap/bench/internal/loadurls"
)

// editResult is one import on the primary and when it was seen where.
// Times are seconds after the import returned (its transaction committed
// just before); -1: not within seenLimit.
type editResult struct {
	N        int
	At       float64 // seconds from the start of the load, when the import began
	Import   float64 // seconds the import took
	Version  int64   // the primary's data version after it
	Standby  float64 // data_version on the standby
	Replicas []float64
	Edge     float64 // the feature's answer through nginx
}

// killEvent is the replica killed and started again, in seconds from the
// start of the load.
type killEvent struct {
	Replica              int
	At, Restart, Ready   float64
	ReadyAfterRestartSec float64
}

// standbyEvent is the standby's restart: pg_ctl stop ran from Stop to
// Stopped, pg_ctl start from Start to Started (it returns once the standby
// accepts connections).
type standbyEvent struct {
	Stop, Stopped, Start, Started float64
}

// seenLimit is how long an edit is looked for.
const seenLimit = 10 * time.Second

// editor changes one feature of the copy of the dataset and imports the
// file on the primary: the name of the first feature of facilities, whose
// answer is among those every reader asks for (so nginx holds it).
type editor struct {
	pt       paths
	dbURL    string
	file     string
	id       string
	name     string
	itemPath string
}

func newEditor(ctx context.Context, pt paths, base, dbURL string) (*editor, error) {
	var page struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	if err := loadurls.GetJSON(ctx, base+"/collections/facilities/items?limit=1", &page); err != nil {
		return nil, err
	}
	if len(page.Features) == 0 {
		return nil, fmt.Errorf("scaleout: facilities has no feature to edit")
	}
	e := &editor{pt: pt, dbURL: dbURL, file: filepath.Join(pt.data(), "facilities.geojson"), id: page.Features[0].ID}
	e.itemPath = "/collections/facilities/items/" + url.PathEscape(e.id)
	_, f, err := e.read()
	if err != nil {
		return nil, err
	}
	name, _ := f["properties"].(map[string]any)["name"].(string)
	if name == "" {
		return nil, fmt.Errorf("scaleout: feature %s has no name to edit", e.id)
	}
	e.name = name
	return e, nil
}

// read decodes the file and finds the feature.
func (e *editor) read() (map[string]any, map[string]any, error) {
	b, err := os.ReadFile(e.file)
	if err != nil {
		return nil, nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("scaleout: %s: %w", e.file, err)
	}
	feats, _ := doc["features"].([]any)
	for _, x := range feats {
		f, _ := x.(map[string]any)
		if f != nil && f["id"] == e.id {
			if _, ok := f["properties"].(map[string]any); ok {
				return doc, f, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("scaleout: %s: no feature %s with properties", e.file, e.id)
}

// marker is what edit n writes into the name.
func marker(n int) string { return fmt.Sprintf("scaleout-edit-%d", n) }

// edit writes edit n and imports the file on the primary; it returns how
// long the import took.
func (e *editor) edit(ctx context.Context, n int) (time.Duration, error) {
	doc, f, err := e.read()
	if err != nil {
		return 0, err
	}
	f["properties"].(map[string]any)["name"] = e.name + " " + marker(n)
	b, err := json.Marshal(doc)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(e.file, b, 0o644); err != nil {
		return 0, err
	}
	return importOn(ctx, e.pt, e.dbURL, e.file)
}

// events runs the load's events at their times from start: the edits (each
// measured in its own goroutine), the replica's kill and restart, the
// standby's restart. It returns when all are done.
func (r *result) events(ctx context.Context, o options, start time.Time, ed *editor, replicas []*replica, sb *standby, db string, pt paths) error {
	at := func(d time.Duration) bool { return sleepUntil(ctx, start.Add(d)) }
	since := func() float64 { return time.Since(start).Seconds() }
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	type ev struct {
		at time.Duration
		do func()
	}
	var evs []ev
	for i, t := range o.edits {
		n := i + 1
		evs = append(evs, ev{t, func() {
			begin := since()
			took, err := ed.edit(ctx, n)
			if err != nil {
				fail(err)
				return
			}
			v, err := dataVersion(ctx, ed.dbURL)
			if err != nil {
				fail(err)
				return
			}
			res := editResult{N: n, At: begin, Import: took.Seconds(), Version: v}
			logf("edit %d at %.1f s: imported in %s, data version %d", n, begin, took.Round(time.Millisecond), v)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.measureEdit(ctx, &res, ed, replicas, sb.url(readerRole, db))
				mu.Lock()
				r.Edits = append(r.Edits, res)
				mu.Unlock()
				logf("edit %d: on the standby after %s, through nginx after %s", n, secsOrNot(res.Standby), secsOrNot(res.Edge))
			}()
		}})
	}
	victim := replicas[0]
	r.Kill = &killEvent{Replica: victim.n}
	evs = append(evs, ev{o.killAt, func() {
		r.Kill.At = since()
		logf("killing replica %d (SIGKILL) at %.1f s", victim.n, r.Kill.At)
		victim.kill()
	}}, ev{o.killAt + o.killFor, func() {
		r.Kill.Restart = since()
		if err := victim.start(pt); err != nil {
			fail(fmt.Errorf("restart replica %d: %w", victim.n, err))
			return
		}
		r.Kill.Ready = since()
		logf("replica %d started again at %.1f s, ready at %.1f s", victim.n, r.Kill.Restart, r.Kill.Ready)
	}})
	r.Outage = &standbyEvent{}
	evs = append(evs, ev{o.standbyAt, func() {
		r.Outage.Stop = since()
		logf("stopping the standby at %.1f s", r.Outage.Stop)
		if err := sb.stop(context.WithoutCancel(ctx)); err != nil {
			fail(err)
		}
		r.Outage.Stopped = since()
	}}, ev{o.standbyAt + o.standbyDown, func() {
		r.Outage.Start = since()
		logf("starting the standby at %.1f s", r.Outage.Start)
		if err := sb.start(context.WithoutCancel(ctx)); err != nil {
			fail(err)
		}
		r.Outage.Started = since()
	}})
	// In order of time; each runs at its time or at once if late.
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].at < evs[j-1].at; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
	for _, e := range evs {
		if !at(e.at) {
			break
		}
		e.do()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("scaleout: events: %v", errs)
	}
	return nil
}

// measureEdit looks for the edit on the standby, on each running replica
// directly and through nginx, every 10 ms, and records when each first
// showed it.
func (r *result) measureEdit(ctx context.Context, res *editResult, ed *editor, replicas []*replica, standbyURL string) {
	t0 := time.Now()
	want := marker(res.N)
	var wg sync.WaitGroup
	poll := func(dst *float64, seen func() bool) {
		defer wg.Done()
		*dst = -1
		for time.Since(t0) < seenLimit && ctx.Err() == nil {
			if seen() {
				*dst = time.Since(t0).Seconds()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wg.Add(2 + len(replicas))
	go poll(&res.Standby, func() bool {
		v, err := dataVersion(ctx, standbyURL)
		return err == nil && v >= res.Version
	})
	res.Replicas = make([]float64, len(replicas))
	for i, rep := range replicas {
		addr := rep.addr
		go poll(&res.Replicas[i], func() bool { return bodyHas(ctx, "http://"+addr+ed.itemPath, want) })
	}
	go poll(&res.Edge, func() bool { return bodyHas(ctx, r.edgeBase()+ed.itemPath, want) })
	wg.Wait()
}

// edgeBase is nginx's URL, from the replicas' --base-url.
func (r *result) edgeBase() string { return r.edge }

// bodyHas GETs u on a connection of its own and reports whether the answer
// is a 200 whose body contains want.
func bodyHas(ctx context.Context, u, want string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	req.Close = true
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(b), want)
}

func secsOrNot(s float64) string {
	if s < 0 {
		return fmt.Sprintf("NOT within %s", seenLimit)
	}
	return fmt.Sprintf("%.2f s", s)
}

// shift makes the events' times relative to the load generator's own
// start, d seconds after the events' origin.
func (r *result) shift(d float64) {
	for i := range r.Edits {
		r.Edits[i].At -= d
	}
	if k := r.Kill; k != nil {
		k.At, k.Restart, k.Ready = k.At-d, k.Restart-d, k.Ready-d
	}
	if s := r.Outage; s != nil {
		s.Stop, s.Stopped, s.Start, s.Started = s.Stop-d, s.Stopped-d, s.Start-d, s.Started-d
	}
}

// sleepUntil waits until t or ctx ends; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
