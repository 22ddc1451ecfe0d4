package propjson_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

func ExampleEncode() {
	f := geo.Feature{
		ID:         "al-hol-3",
		Properties: map[string]any{"name": "al-Hol \"camp\"", "population": 24000.0, "controller": "SDF"},
		Valid:      geo.Interval{Start: time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC)},
		Sources:    []geo.Source{{Publisher: "AP", Date: "2026-01-21"}},
	}
	all, _ := propjson.Encode(f)
	fmt.Println(string(all))
	var some bytes.Buffer
	_ = propjson.Write(&some, f, []string{"valid_from", "name"})
	fmt.Println(some.String())
	// Output:
	// {"controller":"SDF","name":"al-Hol \"camp\"","population":24000,"sources":[{"publisher":"AP","date":"2026-01-21"}],"valid_from":"2026-01-21T00:00:00Z","valid_to":null}
	// {"name":"al-Hol \"camp\"","valid_from":"2026-01-21T00:00:00Z"}
}
