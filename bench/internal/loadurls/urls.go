// Package loadurls makes the URL lists of the load tests (bench/loadtest,
// bench/scaleout): what many readers of the shipped dataset ask for, mixed
// with distinct bbox queries that miss every cache.
package loadurls

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The dataset's region and period (data/README.md).
var (
	region     = orb.Bound{Min: orb.Point{38.5, 34.5}, Max: orb.Point{42.5, 37.5}}
	firstDay   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	periodDays = 59 // to 2026-02-28
)

// Popular lists what many readers ask for: the collections and the
// timeline, every layer every third day of the period, tiles of the region
// at four dates, and a few single features. Paths are relative to the base.
func Popular(ctx context.Context, base string) ([]string, error) {
	var cols struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	if err := GetJSON(ctx, base+"/collections?f=json", &cols); err != nil {
		return nil, err
	}
	if len(cols.Collections) == 0 {
		return nil, fmt.Errorf("GET /collections: no collection")
	}
	urls := []string{"/collections?f=json", "/timeline", "/conformance?f=json"}
	for _, c := range cols.Collections {
		id := url.PathEscape(c.ID)
		urls = append(urls, "/collections/"+id+"?f=json")
		for d := 0; d < periodDays; d += 3 {
			urls = append(urls, "/collections/"+id+"/items?datetime="+firstDay.AddDate(0, 0, d).Format(time.DateOnly))
		}
		var page struct {
			Features []struct {
				ID json.RawMessage `json:"id"`
			} `json:"features"`
		}
		if err := GetJSON(ctx, base+"/collections/"+id+"/items?limit=3", &page); err != nil {
			return nil, err
		}
		for _, f := range page.Features {
			var fid string
			if json.Unmarshal(f.ID, &fid) != nil {
				fid = string(f.ID)
			}
			urls = append(urls, "/collections/"+id+"/items/"+url.PathEscape(fid))
		}
		for _, day := range []int{10, 20, 30, 45} {
			date := firstDay.AddDate(0, 0, day).Format(time.DateOnly)
			for _, t := range tilesOf(region, 7) {
				urls = append(urls, fmt.Sprintf("/collections/%s/tiles/WebMercatorQuad/%d/%d/%d?datetime=%s", id, t.Z, t.Y, t.X, date))
			}
		}
	}
	return urls, nil
}

// tilesOf lists the tiles of zoom z covering b.
func tilesOf(b orb.Bound, z maptile.Zoom) []maptile.Tile {
	lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	var ts []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			ts = append(ts, maptile.New(x, y, z))
		}
	}
	return ts
}

// Mix returns n absolute URLs: the popular ones, in turn, between
// distinct bbox queries (a random layer, box and day, from seed) which miss
// every cache the first time they are asked.
func Mix(base string, popular []string, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f6164))
	var layers []string
	for _, p := range popular {
		if id, ok := strings.CutPrefix(p, "/collections/"); ok && strings.HasSuffix(id, "?f=json") {
			layers = append(layers, strings.TrimSuffix(id, "?f=json"))
		}
	}
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		if i%2 == 0 || len(layers) == 0 {
			out = append(out, base+popular[(i/2)%len(popular)])
			continue
		}
		w, h := 0.05+rng.Float64()*0.95, 0.05+rng.Float64()*0.95
		x := region.Min[0] + rng.Float64()*(region.Max[0]-region.Min[0]-w)
		y := region.Min[1] + rng.Float64()*(region.Max[1]-region.Min[1]-h)
		day := firstDay.AddDate(0, 0, rng.IntN(periodDays)).Format(time.DateOnly)
		out = append(out, fmt.Sprintf("%s/collections/%s/items?bbox=%.4f,%.4f,%.4f,%.4f&datetime=%s",
			base, layers[rng.IntN(len(layers))], x, y, x+w, y+h, day))
	}
	return out
}

// Write writes urls to path, one a line.
func Write(path string, urls []string) error {
	return os.WriteFile(path, []byte(strings.Join(urls, "\n")+"\n"), 0o644)
}

// Get GETs u on a connection of its own, closed after, within timeout,
// and returns the body; any status but 200 is an error.
func Get(ctx context.Context, u string, timeout time.Duration) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Close = true
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return body, nil
}

// GetJSON GETs u as Get does (30 s) and decodes its JSON answer into v.
func GetJSON(ctx context.Context, u string, v any) error {
	body, err := Get(ctx, u, 30*time.Second)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}
