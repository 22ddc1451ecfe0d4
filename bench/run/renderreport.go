package main

import (
	"fmt"
	"net/url"
	"strings"
)

// The pictures part of the report (issue 14): the cases whose id starts
// with "i-".

func isRender(c caseResult) bool { return strings.HasPrefix(c.ID, "i-") }

// okRPS is the requests/s of a wrk case counting only its 2xx answers.
func okRPS(c caseResult) float64 {
	if c.Requests == 0 {
		return 0
	}
	return c.RPS * float64(c.Requests-c.Non2xx) / float64(c.Requests)
}

// growth is how much the RSS rose during a case: its peak less the RSS
// when it began.
func growth(c caseResult) int64 { return max(c.PeakRSS-c.RSSBefore, 0) }

// coldOnce is the result of i-render-cold on store s, to set a render one
// at a time beside many at once.
func coldOnce(s storeResult) (caseResult, bool) {
	c, ok := find(s.Cases, "i-render-cold")
	return c, ok && c.PeakRSS > 0
}

// concurrentMemory says what i-render-cold-rps's peak RSS was, against one
// render at a time on the same store.
func concurrentMemory(s storeResult, c caseResult) string {
	if c.PeakRSS == 0 {
		return "peak RSS not measured"
	}
	m := fmt.Sprintf("peak RSS %s during the case (%s when it began: +%s)", mib(c.PeakRSS), mib(c.RSSBefore), mib(growth(c)))
	if one, ok := coldOnce(s); ok {
		m += fmt.Sprintf("; one render at a time (i-render-cold): peak %s (+%s)", mib(one.PeakRSS), mib(growth(one)))
	}
	return m
}

// renderTargetRows are the rows of the targets table for the pictures: a
// cold render under 300 ms (every request), the cached picture against the
// other cached answers, and the memory under 64 concurrent cold renders
// (reported: the issue gives no figure).
func renderTargetRows(r *report) string {
	var b strings.Builder
	for _, s := range r.Stores {
		for _, c := range s.Cases {
			switch {
			case c.ID == "i-render-cold" || c.ID == "i-render-cold-all":
				what := "the default view without the points"
				if c.ID == "i-render-cold-all" {
					what = "the default picture, every layer"
				}
				sum := summarize(c.Timed, c.LatencyTarget)
				verdict := mark(sum.Asked > 0 && sum.Over == 0 && len(sum.NotAsked) == 0)
				m := fmt.Sprintf("median %s, max %s over %d renders one at a time (%d answered 200, %d over %s or failed)",
					seconds(sum.Median), seconds(sum.Max), sum.Asked, sum.OK, sum.Over, seconds(c.LatencyTarget))
				if len(sum.NotAsked) > 0 {
					m += fmt.Sprintf(", %d not asked (budget)", len(sum.NotAsked))
				}
				fmt.Fprintf(&b, "| (%s) a cold render (%s, cache off) in under %s — %s | %s | %s |\n",
					c.ID, what, seconds(c.LatencyTarget), s.Name, m, verdict)
			case c.ID == "i-render":
				v, ok := hotCachedVerdict(s, c)
				m := v
				if c.Skipped == "" {
					m = fmt.Sprintf("%s req/s, p99 %s ms: %s", rps(c.RPS), ms(c.P99), v)
				}
				fmt.Fprintf(&b, "| (%s) a cached picture at the speed of other cached answers — %s | %s | %s |\n", c.ID, s.Name, m, ok)
			case c.ID == "i-render-cold-rps":
				m := "not measured: " + c.Skipped
				if c.Skipped == "" {
					m = fmt.Sprintf("%s; %d renders answered 200, %s renders/s", concurrentMemory(s, c), c.Requests-c.Non2xx, rps(okRPS(c)))
				}
				fmt.Fprintf(&b, "| (%s) memory bounded under %d concurrent cold renders — %s | %s | reported (the issue gives no figure) |\n",
					c.ID, max(c.Connections, renderConnections), s.Name, m)
			}
		}
	}
	return b.String()
}

// renderLabel is the part of a picture's path that changes from request to
// request: its date (and box, when given).
func renderLabel(path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	l := "date=" + q.Get("date")
	if q.Has("bbox") {
		l += " bbox=" + q.Get("bbox")
	}
	return l
}

// renderMarkdown is the section of the report on the picture cases, empty
// when the run had none.
func renderMarkdown(r *report) string {
	var hot, cold, many, all []string
	var perRequest strings.Builder
	for _, s := range r.Stores {
		if s.RenderAll != "" {
			all = append(all, fmt.Sprintf("- %s: %s", s.Name, s.RenderAll))
		}
		for _, c := range s.Cases {
			if !isRender(c) {
				continue
			}
			ref := c.RefNone
			if ref == "" {
				ref = noRenderRef
			}
			switch {
			case c.Sequential:
				sum := summarize(c.Timed, c.LatencyTarget)
				asked, lat, errs := timedCells(sum, len(c.Timed))
				mem := "–"
				if c.PeakRSS > 0 {
					mem = fmt.Sprintf("%s (%s before)", mib(c.PeakRSS), mib(c.RSSBefore))
				}
				cold = append(cold, fmt.Sprintf("| %s | %s | %s (cache off) | %s | %s | every render < %s: %s | %s | %s | %s |",
					c.ID, c.Title, s.Name, asked, lat, seconds(c.LatencyTarget), mark(sum.Asked > 0 && sum.Over == 0 && len(sum.NotAsked) == 0), errs, mem, ref))
				for i, t := range c.Timed {
					out, took, vs := requestCells(t, c.LatencyTarget)
					fmt.Fprintf(&perRequest, "| %s | %s | %d | %s | %s | %s | %s | %s |\n",
						c.ID, s.Name, i+1, renderLabel(t.Path), out, took, size(t.Bytes), vs)
				}
			case c.NoCache:
				if c.Skipped != "" {
					many = append(many, fmt.Sprintf("| %s | %s | %s (cache off) | %d | not measured: %s | | | | | | %s |", c.ID, c.Title, s.Name, c.Connections, c.Skipped, ref))
					continue
				}
				answered := fmt.Sprintf("%d", c.Requests-c.Non2xx)
				if c.Non2xx > 0 || c.Timeouts > 0 {
					answered += fmt.Sprintf(" (**%d not 2xx, %d wrk timeouts**)", c.Non2xx, c.Timeouts)
				}
				mem := "–"
				if c.PeakRSS > 0 {
					mem = fmt.Sprintf("%s (%s before, +%s)", mib(c.PeakRSS), mib(c.RSSBefore), mib(growth(c)))
				}
				many = append(many, fmt.Sprintf("| %s | %s | %s (cache off) | %d | %.0f s | %s | %s | %s | %s | %s | %s |",
					c.ID, c.Title, s.Name, c.Connections, c.Seconds, answered, rps(okRPS(c)), ms(c.P50), ms(c.P99), mem, ref))
			default:
				hot = append(hot, hotRow(s, c, ref))
			}
		}
	}
	if len(hot)+len(cold)+len(many) == 0 {
		return ""
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Pictures (issue 14)\n\n")
	w("`/render.png` of the default view: no `bbox` (the extent of the `%s` collection, as the map opens), the default size 1200×675, "+
		"at a date. `i-render`, `i-render-cold` and `i-render-cold-rps` draw every layer of the scale dataset but its 100,000 points (`layers=%s`), "+
		"as these cases were first measured; `i-render-cold-all` draws every layer, as the map opens, the points as dots (the map draws a layer of "+
		"more than 5,000 features from vector tiles, its points as dots, and so does a PNG). There is no reference: neither pg_featureserv nor "+
		"pg_tileserv draws pictures.\n\n",
		"areas", renderLayers)
	if len(all) > 0 {
		w("The default picture with every layer, `%s`, asked once of each store:\n\n%s\n\n", renderAllPath(), strings.Join(all, "\n"))
	}
	if len(cold) > 0 {
		w("### Cold: one render at a time, cache off\n\n")
		w("`i-render-cold` asks the default view at dates of change of `/timeline` spread over the period, each once, one after another "+
			"with a Go HTTP client on the server started again with `--cache-bytes 0`, each timed from sending to the last byte of the body "+
			"(timeout %s; no further request once the case's time budget, `-analytics-budget`, has passed). Peak RSS is the server's during the case alone.\n\n",
			analyticsTimeout)
		w("| case | what | store | requests asked | latency per render, median / max | target | failures | peak RSS | reference |\n|---|---|---|---|---|---|---|---|---|\n")
		w("%s\n\n", strings.Join(cold, "\n"))
		w("Every render:\n\n| case | store | # | request | status | took | bytes | against the target |\n|---|---|---|---|---|---|---|---|\n")
		w("%s\n", perRequest.String())
	}
	if len(many) > 0 {
		w("### Cold: many renders at once, cache off\n\n")
		w("`i-render-cold-rps` runs wrk with %d connections for %s on the cache-off server through a list of %d distinct pictures "+
			"(the default view's box shifted by 0.00001° and the next date of change at each request), so that every answer is a render. "+
			"The server draws at most as many pictures at once as it has processors; the rest wait. wrk's timeout is %s (the server's write timeout), "+
			"so a render that waited is counted in the latencies; requests still waiting when the run ends are not counted. "+
			"Renders/s count the 2xx answers over the run (\"ran\", wrk's duration unless the list ran out first); what the answers that were not 2xx were is in the server's log "+
			"(tmp/bench/STORE-nocache.log). Peak RSS is the server's during this case alone "+
			"(the higher of its VmRSS sampled every %s and its VmHWM reset when the case began), beside the RSS when it began.\n\n",
			renderConnections, renderRPSDuration, renderColdList, renderWrkTimeout, rssEvery)
		w("| case | what | store | connections | ran | renders answered 200 | renders/s | p50 ms | p99 ms | peak RSS | reference |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		w("%s\n\n", strings.Join(many, "\n"))
	}
	if len(hot) > 0 {
		w("### Hot: the same picture, cached\n\n")
		w("`i-render` is warmed by one request (a render with the cache on: the first reader's cost), then wrk asks the same URL for the whole run " +
			"as for the other hot cases, and the cache answers (PNG is sent as it is, never compressed). It is compared with the cached case of the nearest " +
			"answer size in the same run (the target is \"a hot one at the speed of other cached answers\"; met at 80%% of its requests/s or more).\n\n")
		w("| case | what | store | bytes | warming request (a render) | req/s | p50 ms | p99 ms | against other cached answers | reference |\n|---|---|---|---|---|---|---|---|---|---|\n")
		w("%s\n\n", strings.Join(hot, "\n"))
	}
	return b.String()
}
