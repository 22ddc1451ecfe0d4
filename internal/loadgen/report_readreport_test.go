package loadgen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadReport: a report written as JSON reads back the same; a file that
// is not one is an error naming it.
func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	want := Report{Requests: 12, Errors: 1}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "r.json")
	if err := os.WriteFile(good, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(good)
	if err != nil || got.Requests != 12 || got.Errors != 1 {
		t.Fatalf("ReadReport = %+v, %v", got, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReport(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a broken report: %v", err)
	}
	if _, err := ReadReport(filepath.Join(dir, "none.json")); err == nil {
		t.Error("a missing report read without error")
	}
}
