package geo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

func TestParseCatalogRolesAndTerms(t *testing.T) {
	const ok = `{"collections": [
	  {"id": "sites", "title": "Sites", "geometry_type": "Point", "role": "sites",
	   "style": {"property": "controller", "colors": {}, "default_color": "#000", "order": ["a", "b"]},
	   "terms": {"controller": {"b": {"label": "Bee", "subject": "the bees"}}}},
	  {"id": "news", "title": "News", "geometry_type": "Point", "role": "events", "style": {"property": "", "colors": {}, "default_color": "#000"}}
	], "terms": {"controller": {"a": {"label": "A", "label_ar": "أ", "subject": "the As"}, "b": {"label": "B"}}}}`
	cat, err := geo.ParseCatalog([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	sites, found := cat.ByRole(geo.RoleSites)
	if !found || sites.ID != "sites" {
		t.Fatalf("ByRole(sites) = %q, %v", sites.ID, found)
	}
	if ev, _ := cat.ByRole(geo.RoleEvents); ev.ID != "news" {
		t.Errorf("ByRole(events) = %q", ev.ID)
	}
	if a, _ := sites.Term("controller", "a"); a.Subject != "the As" || a.LabelAr != "أ" {
		t.Errorf("the catalogue's term for a was not merged: %+v", a)
	}
	if b, _ := sites.Term("controller", "b"); b.Label != "Bee" {
		t.Errorf("the collection's own term for b did not win: %+v", b)
	}
	news, _ := cat.ByRole(geo.RoleEvents)
	if a, _ := news.Term("controller", "a"); a.Label != "A" {
		t.Errorf("a collection without terms of its own lacks the catalogue's: %+v", a)
	}

	for name, tc := range map[string]struct{ catalog, want string }{
		"unknown role": {`{"collections": [{"id": "x", "title": "X", "geometry_type": "Point", "role": "sights", "style": {"colors": {}}}]}`, `collection "x": unknown role "sights"`},
		"role twice": {`{"collections": [
		  {"id": "x", "title": "X", "geometry_type": "Point", "role": "events", "style": {"colors": {}}},
		  {"id": "y", "title": "Y", "geometry_type": "Point", "role": "events", "style": {"colors": {}}}]}`, `collections "x" and "y" both have role "events"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := geo.ParseCatalog([]byte(tc.catalog))
			var le *geo.LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), geo.CatalogFile) {
				t.Errorf("error %v, want a LoadError naming %s and saying %q", err, geo.CatalogFile, tc.want)
			}
		})
	}
}
