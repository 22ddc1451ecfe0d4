package memory

import (
	"strconv"
	"testing"
)

// TestIDIndex: every record is found at its position, and no id that is
// not a record's (a prefix, an extension, the empty id, one differing in a
// byte) is found, for collections of no record, one, and many (where ids
// share slots' neighbourhoods and probes run on).
func TestIDIndex(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 1000, 20000} {
		recs := make([]record, n)
		for i := range recs {
			recs[i].id = "point-" + strconv.Itoa(i)
		}
		ix := newIDIndex(recs)
		if len(ix.slots) < 2*n || len(ix.slots)&(len(ix.slots)-1) != 0 {
			t.Errorf("%d records: %d slots, want a power of two at least twice as many", n, len(ix.slots))
		}
		for i := range recs {
			if got, ok := ix.find(recs, recs[i].id); !ok || got != i {
				t.Fatalf("%d records: find(%q) = %d, %v; want %d", n, recs[i].id, got, ok, i)
			}
		}
		for _, id := range []string{"", "point-", "point-" + strconv.Itoa(n), "point-1x", "Point-1", "point-01"} {
			if got, ok := ix.find(recs, id); ok {
				t.Errorf("%d records: find(%q) = %d, want not found", n, id, got)
			}
		}
	}
	var zero idIndex
	if _, ok := zero.find(nil, "a"); ok {
		t.Error("the zero index finds an id")
	}
}
