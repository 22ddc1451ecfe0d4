package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantFailed bool
		want       []string // lines expected in the report
		notWant    []string
	}{
		{
			name: "passes and a loud skip",
			in: `{"Action":"start","Package":"example.org/a"}
{"Action":"run","Package":"example.org/a","Test":"TestOne"}
{"Action":"output","Package":"example.org/a","Test":"TestOne","Output":"=== RUN   TestOne\n"}
{"Action":"run","Package":"example.org/a","Test":"TestOne/sub"}
{"Action":"pass","Package":"example.org/a","Test":"TestOne/sub","Elapsed":0}
{"Action":"pass","Package":"example.org/a","Test":"TestOne","Elapsed":0}
{"Action":"run","Package":"example.org/a","Test":"TestDB"}
{"Action":"output","Package":"example.org/a","Test":"TestDB","Output":"=== RUN   TestDB\n"}
{"Action":"output","Package":"example.org/a","Test":"TestDB","Output":"    db_test.go:10: SKIPPED: PostgreSQL unreachable\n"}
{"Action":"output","Package":"example.org/a","Test":"TestDB","Output":"--- SKIP: TestDB (0.00s)\n"}
{"Action":"skip","Package":"example.org/a","Test":"TestDB","Elapsed":0}
{"Action":"output","Package":"example.org/a","Output":"PASS\n"}
{"Action":"pass","Package":"example.org/a","Elapsed":1.234}
{"Action":"start","Package":"example.org/b"}
{"Action":"output","Package":"example.org/b","Output":"?   \texample.org/b\t[no test files]\n"}
{"Action":"skip","Package":"example.org/b","Elapsed":0}
`,
			want: []string{
				"--- SKIP example.org/a TestDB: db_test.go:10: SKIPPED: PostgreSQL unreachable",
				"ok   example.org/a 1.23s (2 passed, 0 failed, 1 skipped)",
				"?    example.org/b [no test files]",
				"tests: 2 passed, 0 failed, 1 skipped",
			},
			notWant: []string{"=== RUN"},
		},
		{
			name: "a failing test shows its output",
			in: `{"Action":"run","Package":"example.org/a","Test":"TestBad"}
{"Action":"output","Package":"example.org/a","Test":"TestBad","Output":"    bad_test.go:7: got 1, want 2\n"}
{"Action":"fail","Package":"example.org/a","Test":"TestBad","Elapsed":0}
{"Action":"output","Package":"example.org/a","Output":"FAIL\n"}
{"Action":"fail","Package":"example.org/a","Elapsed":0.5}
`,
			wantFailed: true,
			want: []string{
				"--- FAIL example.org/a TestBad",
				"bad_test.go:7: got 1, want 2",
				"FAIL example.org/a 500ms (0 passed, 1 failed, 0 skipped)",
				"tests: 0 passed, 1 failed, 0 skipped",
			},
			notWant: []string{"FAIL\n"},
		},
		{
			name: "a panic outside tests is shown",
			in: `{"Action":"output","Package":"example.org/p","Output":"panic: boom\n"}
{"Action":"output","Package":"example.org/p","Output":"FAIL\texample.org/p\t0.1s\n"}
{"Action":"fail","Package":"example.org/p","Elapsed":0.1}
`,
			wantFailed: true,
			want:       []string{"panic: boom\nFAIL example.org/p 100ms (0 passed, 0 failed, 0 skipped)"},
			notWant:    []string{"FAIL\texample.org/p"},
		},
		{
			name: "a build failure",
			in: `{"ImportPath":"example.org/c [example.org/c.test]","Action":"build-output","Output":"c.go:3:1: syntax error\n"}
{"ImportPath":"example.org/c [example.org/c.test]","Action":"build-fail"}
{"Action":"start","Package":"example.org/c"}
{"Action":"output","Package":"example.org/c","Output":"FAIL\texample.org/c [build failed]\n"}
{"Action":"fail","Package":"example.org/c","Elapsed":0}
`,
			wantFailed: true,
			want: []string{
				"BUILD FAIL example.org/c [example.org/c.test]",
				"c.go:3:1: syntax error",
				"tests: 0 passed, 0 failed, 0 skipped",
			},
		},
		{
			name:    "plain text passes through",
			in:      "go: downloading example.org/x v1.0.0\n",
			want:    []string{"go: downloading example.org/x v1.0.0", "tests: 0 passed, 0 failed, 0 skipped"},
			notWant: []string{"FAIL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			failed, err := summarize(strings.NewReader(tt.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if failed != tt.wantFailed {
				t.Errorf("failed = %v, want %v", failed, tt.wantFailed)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("report has %q:\n%s", w, out.String())
				}
			}
		})
	}
}
