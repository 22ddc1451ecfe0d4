package postgis_test

import (
	"context"
	"fmt"
	"os"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
)

// Load a dataset folder, bring the schema up to date, import the dataset and
// serve it. (Not run: it needs a database.)
func Example() {
	ctx := context.Background()
	url := "postgres://postgres@127.0.0.1:5432/controlmap?sslmode=disable"

	ds, err := geo.LoadDir(os.DirFS("data"))
	if err != nil {
		fmt.Println(err) // a *geo.LoadError lists every problem with file and feature
		return
	}
	if err := postgis.Migrate(ctx, url); err != nil {
		fmt.Println(err)
		return
	}
	res, err := postgis.Import(ctx, url, ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d inserted, %d updated, %d deleted, %d unchanged\n", res.Inserted, res.Updated, res.Deleted, res.Unchanged)

	st, err := postgis.Open(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	iv, _ := geo.ParseDatetime("2026-01-19")
	page, err := st.Items(ctx, "facilities", geo.Query{Time: iv, Filters: map[string]string{"controller": "sdf"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(page.NumberMatched, "facilities held by the SDF on 19 January")
}
