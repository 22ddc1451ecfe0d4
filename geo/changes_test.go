package geo_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo"
)

func day(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

func TestChangesKey(t *testing.T) {
	// Versions change on the 10th and the 20th; an event happens at noon on the 15th.
	c := geo.NewChanges([]geo.Interval{
		{End: day(10)},
		{Start: day(10), End: day(20)},
		{Start: day(20)},
		geo.Instant(day(15).Add(12 * time.Hour)),
	})
	dayQ := func(d int) geo.Interval { return geo.Day(day(d)) }
	tests := []struct {
		name string
		a, b geo.Interval
		same bool
	}{
		{"two days between the same changes", dayQ(11), dayQ(13), true},
		{"the day of a change and the day after", dayQ(10), dayQ(11), true},
		{"the day before a change and the day of it", dayQ(9), dayQ(10), false},
		{"across the event", dayQ(14), dayQ(16), false},
		{"the event's day", dayQ(15), dayQ(14), false},
		{"after the last change", dayQ(21), dayQ(28), true},
		{"before the first change", dayQ(2), dayQ(5), true},
		{"open start up to a date before any change", geo.Interval{End: day(5)}, dayQ(3), true},
		{"open end from after the last change", geo.Interval{Start: day(25)}, dayQ(26), true},
		{"unbounded and bounded", geo.Interval{}, dayQ(3), false},
		{"an instant query and the day around it", geo.Instant(day(12)), dayQ(12), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := c.Key(tt.a), c.Key(tt.b)
			if (ka == kb) != tt.same {
				t.Errorf("Key(%s) = %s, Key(%s) = %s; want same=%v", tt.a, ka, tt.b, kb, tt.same)
			}
		})
	}
}

// TestChangesKeyDecidesMatches checks the promise of Key on random data:
// two intervals with the same key match exactly the same features, and two
// intervals matching different features have different keys.
func TestChangesKeyDecidesMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	at := func() time.Time { return day(1).Add(time.Duration(r.IntN(40)) * 12 * time.Hour) }
	for round := range 50 {
		var valid []geo.Interval
		for range 1 + r.IntN(12) {
			switch r.IntN(5) {
			case 0:
				valid = append(valid, geo.Instant(at()))
			case 1:
				valid = append(valid, geo.Interval{End: at()})
			case 2:
				valid = append(valid, geo.Interval{Start: at()})
			default:
				a, b := at(), at()
				if b.Before(a) {
					a, b = b, a
				}
				if a.Equal(b) {
					b = b.Add(time.Hour)
				}
				valid = append(valid, geo.Interval{Start: a, End: b})
			}
		}
		c := geo.NewChanges(valid)
		matches := func(q geo.Interval) string {
			var m []byte
			for _, v := range valid {
				if v.Intersects(q) {
					m = append(m, '1')
				} else {
					m = append(m, '0')
				}
			}
			return string(m)
		}
		var queries []geo.Interval
		for range 60 {
			switch r.IntN(6) {
			case 0:
				queries = append(queries, geo.Instant(at()))
			case 1:
				queries = append(queries, geo.Interval{End: at()})
			case 2:
				queries = append(queries, geo.Interval{Start: at()})
			default:
				a := at()
				queries = append(queries, geo.Interval{Start: a, End: a.Add(time.Duration(1+r.IntN(4)) * 12 * time.Hour)})
			}
		}
		byKey := map[string]string{}
		for _, q := range queries {
			k, m := c.Key(q), matches(q)
			if prev, ok := byKey[k]; ok && prev != m {
				t.Fatalf("round %d: key %s for %s matches %s, but another interval with that key matches %s (validities %v)", round, k, q, m, prev, valid)
			}
			byKey[k] = m
		}
	}
}

func TestNewChangesFrom(t *testing.T) {
	a := geo.NewChangesFrom([]time.Time{day(3), day(1), day(3)}, []time.Time{day(4)}, nil)
	b := geo.NewChanges([]geo.Interval{{Start: day(1), End: day(4)}, {Start: day(3)}})
	for _, d := range []int{1, 2, 3, 4, 5} {
		if ka, kb := a.Key(geo.Day(day(d))), b.Key(geo.Day(day(d))); ka != kb {
			t.Errorf("day %d: %s != %s", d, ka, kb)
		}
	}
	if a.Len() != 3 {
		t.Errorf("Len = %d, want 3 distinct times", a.Len())
	}
}

func ExampleChanges_Key() {
	// A layer whose features change on 10 and 20 January.
	c := geo.NewChanges([]geo.Interval{
		{End: day(10)}, {Start: day(10), End: day(20)}, {Start: day(20)},
	})
	var keys []string
	for _, d := range []string{"2026-01-11", "2026-01-15", "2026-01-19", "2026-01-20"} {
		q, _ := geo.ParseDatetime(d)
		keys = append(keys, c.Key(q))
	}
	fmt.Println(keys[0] == keys[1], keys[1] == keys[2], keys[2] == keys[3])
	fmt.Println(slices.Compact(keys))
	// Output:
	// true true false
	// [1.0.1.0 2.0.2.0]
}

func TestChangesTimes(t *testing.T) {
	c := geo.NewChanges([]geo.Interval{
		{Start: day(3), End: day(5)}, {Start: day(5)}, {Start: day(1), End: day(1)}, {End: day(3)},
	})
	got := c.Times()
	want := []time.Time{day(1), day(3), day(5)}
	if !slices.EqualFunc(got, want, func(a, b time.Time) bool { return a.Equal(b) }) {
		t.Errorf("Times = %v, want %v", got, want)
	}
	if n := len(geo.NewChanges(nil).Times()); n != 0 {
		t.Errorf("Times of no changes has %d times", n)
	}
}
