package main

import (
	"fmt"
	"math"
	"net/url"
	"strings"
)

// The territory analytics part of the report (issue 13): the cases whose
// id starts with "h-".

func isAnalytics(c caseResult) bool { return strings.HasPrefix(c.ID, "h-") }

// seconds formats milliseconds as seconds.
func seconds(ms float64) string {
	if ms >= 10000 {
		return fmt.Sprintf("%.0f s", ms/1000)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}

// nearestCached is the hot case of s answered from the cache (one URL for
// the whole run, cache on, not an analytics or picture case, not the
// compressed a-browser) whose answer is nearest c's in size, by ratio: "the speed of
// other cached answers" depends on their size.
func nearestCached(s storeResult, c caseResult) (caseResult, bool) {
	var best caseResult
	found := false
	dist := func(x caseResult) float64 {
		return math.Abs(math.Log(float64(max(x.Bytes, 1)) / float64(max(c.Bytes, 1))))
	}
	for _, x := range s.Cases {
		if isAnalytics(x) || isRender(x) || x.ID == "a-browser" || x.Distinct > 0 || x.NoCache || x.Sequential || x.Skipped != "" || x.RPS == 0 || x.Bytes == 0 {
			continue
		}
		if !found || dist(x) < dist(best) {
			best, found = x, true
		}
	}
	return best, found
}

// hotCachedVerdict compares a hot analytics or picture case with the cached case of
// the nearest size on the same store: met at 80% of its requests/s or more.
func hotCachedVerdict(s storeResult, c caseResult) (string, string) {
	if c.Skipped != "" {
		return "not measured: " + c.Skipped, "**not met**"
	}
	other, ok := nearestCached(s, c)
	if !ok {
		return "no other cached case in this run to compare with (a partial run: `-cases`)", "–"
	}
	share := c.RPS / other.RPS
	return fmt.Sprintf("%s of (%s), the cached answer nearest in size in this run (%s, %s req/s, p99 %s ms; target ≥ 80%%)",
		pctOf(share), other.ID, size(other.Bytes), rps(other.RPS), ms(other.P99)), mark(share >= 0.8)
}

func pctOf(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }

// analyticsTargetRows are the rows of the targets table for the analytics:
// the cold area at one date against 2 s (every request), and the hot
// answers against the other cached answers.
func analyticsTargetRows(r *report) string {
	var b strings.Builder
	for _, s := range r.Stores {
		for _, c := range s.Cases {
			switch {
			case c.ID == "h-area-cold":
				sum := summarize(c.Timed, c.LatencyTarget)
				verdict := mark(sum.Asked > 0 && sum.Over == 0 && len(sum.NotAsked) == 0)
				m := fmt.Sprintf("median %s, max %s over %d requests one at a time (%d answered 200, %d over 2 s or failed)",
					seconds(sum.Median), seconds(sum.Max), sum.Asked, sum.OK, sum.Over)
				if len(sum.NotAsked) > 0 {
					m += fmt.Sprintf(", %d not asked (budget)", len(sum.NotAsked))
				}
				fmt.Fprintf(&b, "| (%s) area for one date with the cache off, every request under %s — %s | %s | %s |\n",
					c.ID, seconds(c.LatencyTarget), s.Name, m, verdict)
			case isAnalytics(c) && !c.Sequential:
				v, ok := hotCachedVerdict(s, c)
				m := v
				if c.Skipped == "" {
					m = fmt.Sprintf("%s req/s, p99 %s ms: %s", rps(c.RPS), ms(c.P99), v)
				}
				fmt.Fprintf(&b, "| (%s) cached answer at the speed of other cached answers — %s | %s | %s |\n", c.ID, s.Name, m, ok)
			}
		}
	}
	return b.String()
}

// requestLabel is the part of an analytics path that changes from request
// to request.
func requestLabel(path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	switch {
	case q.Has("datetime"):
		return "datetime=" + q.Get("datetime")
	case q.Has("from"):
		return "from=" + q.Get("from") + " to=" + q.Get("to")
	case strings.HasSuffix(u.Path, "/area"):
		return "the whole series (no datetime)"
	}
	return path
}

// analyticsMarkdown is the section of the report on the analytics cases,
// empty when the run had none.
func analyticsMarkdown(r *report) string {
	var hot, cold []string
	var perRequest strings.Builder
	for _, s := range r.Stores {
		for _, c := range s.Cases {
			if !isAnalytics(c) {
				continue
			}
			ref := c.RefNone
			if ref == "" {
				ref = noAnalyticsRef
			}
			if !c.Sequential {
				hot = append(hot, hotRow(s, c, ref))
				continue
			}
			sum := summarize(c.Timed, c.LatencyTarget)
			target, verdict := "none given (the 2 s target is the area's at one date)", ""
			if c.LatencyTarget > 0 {
				target = "every request < " + seconds(c.LatencyTarget)
				verdict = ": " + mark(sum.Asked > 0 && sum.Over == 0 && len(sum.NotAsked) == 0)
			}
			asked, lat, errs := timedCells(sum, len(c.Timed))
			cold = append(cold, fmt.Sprintf("| %s | %s | %s (cache off) | %s | %s | %s%s | %s | %s |",
				c.ID, c.Title, s.Name, asked, lat, target, verdict, errs, ref))
			for i, t := range c.Timed {
				out, took, vs := requestCells(t, c.LatencyTarget)
				fmt.Fprintf(&perRequest, "| %s | %s | %d | %s | %s | %s | %s | %s |\n",
					c.ID, s.Name, i+1, requestLabel(t.Path), out, took, vs, t.Cache)
			}
		}
	}
	if len(hot)+len(cold) == 0 {
		return ""
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Territory analytics (issue 13)\n\n")
	w("`/analytics/area` (the area each controller held at a date: one union of polygons per controller) and "+
		"`/analytics/change` (the regions that changed controller between two dates: the unions at both dates and their intersections) "+
		"on the scale dataset's `%s` collection. There is no reference: neither pg_featureserv nor pg_tileserv computes territory analytics.\n\n",
		analyticsCollection)
	if len(cold) > 0 {
		w("### Cold: one request at a time, cache off\n\n")
		w("An answer takes seconds to build, so wrk's throughput would mean nothing here: each cold case asks its requests one after another "+
			"with a Go HTTP client on the server started again with `--cache-bytes 0`, and times each from sending to the last byte of the body, "+
			"with a timeout of %s per request (longer than the server's 60 s write timeout, so that what the server does with a slower answer shows). "+
			"`h-area-cold` asks the area at dates of change of `/timeline` spread over the period (each once), `h-change-cold` the changes since "+
			"the date of change before (what the map's change view asks by default), `h-change-cold-far` between dates of change a quarter of the list apart, `h-area-series` the whole series (the first date and every date of change) once. "+
			"A case sends no further request once its time budget has passed; failures are counted, not hidden, and do not stop the run.\n\n",
			analyticsTimeout)
		w("| case | what | store | requests asked | latency per request, median / max | target | failures | reference |\n|---|---|---|---|---|---|---|---|\n")
		w("%s\n\n", strings.Join(cold, "\n"))
		w("Every request:\n\n| case | store | # | request | status | took | against the target | X-Cache |\n|---|---|---|---|---|---|---|---|\n")
		w("%s\n", perRequest.String())
	}
	if len(hot) > 0 {
		w("### Hot: the same request, cached\n\n")
		w("The hot cases are warmed by one request (a second when the first gets no answer: an answer built after the server's write timeout " +
			"is cached all the same), whose time is the cost of the first reader's request; then wrk asks the same URL for the whole run, " +
			"as for the other hot cases, and the cache answers. They are compared with the cached case of the nearest answer size in the same run " +
			"(the target is \"cached answers at the speed of other cached answers\"; met at 80%% of its requests/s or more).\n\n")
		w("| case | what | store | bytes | warming request (cache miss) | req/s | p50 ms | p99 ms | against other cached answers | reference |\n|---|---|---|---|---|---|---|---|---|---|\n")
		w("%s\n\n", strings.Join(hot, "\n"))
	}
	return b.String()
}
