// Command loadgen is a small HTTP load generator for this machine only: it
// refuses any host but localhost, 127.0.0.0/8 and ::1, and every run ends
// within ten minutes.
//
//	go run ./cmd/loadgen -url http://127.0.0.1:8080/collections/facilities/items?datetime=2026-01-20 \
//	    [-url URL ...] [-urls FILE] [-c 64] [-d 30s] [-rate 0] [-n 0] [-json FILE]
//
// Connections (-c) each keep one request in flight, taking the URLs
// round-robin, for the duration (-d), up to a rate over all connections
// (-rate) or a number of requests (-n). It prints requests, errors by status
// and kind, requests per second, latency quantiles, bytes per response and a
// table of status counts per second, so that an outage in the middle of a run
// shows when it began and when the server recovered; -tag X-Cache adds
// counts by that header's value, and 429 and 503 answers without
// Retry-After are counted; -json writes the same as JSON. The exit status
// is 1 when there were more errors than -max-errors allows, 2 for bad flags.
// The load generator itself is internal/loadgen.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/controlmap/controlmap/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the flags that are not part of a run's Config.
type options struct {
	jsonOut   string
	maxErrors int64
}

// parseFlags reads the command line into a validated Config.
func parseFlags(args []string, stderr io.Writer) (loadgen.Config, options, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := loadgen.Config{Header: map[string]string{}}
	var opt options
	var urlFile string
	fs.Func("url", "a URL to request (repeatable; requested round-robin)", func(s string) error {
		cfg.URLs = append(cfg.URLs, s)
		return nil
	})
	fs.StringVar(&urlFile, "urls", "", "a file of URLs, one a line (blank lines and lines starting with # skipped), after any -url")
	fs.IntVar(&cfg.Concurrency, "c", 64, fmt.Sprintf("connections, each with one request in flight (1..%d)", loadgen.MaxConcurrency))
	fs.DurationVar(&cfg.Duration, "d", 10*time.Second, fmt.Sprintf("how long to run (at most %s)", loadgen.MaxDuration))
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second over all connections (0: as fast as they go)")
	fs.Int64Var(&cfg.Requests, "n", 0, "stop after this many requests (0: only the duration limits)")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "limit on one request, body included")
	fs.BoolVar(&cfg.Gzip, "gzip", false, "send Accept-Encoding: gzip (bytes are then counted compressed)")
	fs.Func("H", `a request header "Name: value" (repeatable)`, func(s string) error {
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			return errors.New(`want "Name: value"`)
		}
		cfg.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
		return nil
	})
	fs.StringVar(&cfg.TagHeader, "tag", "", "count responses by the value of this header, overall and per second (e.g. X-Cache)")
	fs.StringVar(&opt.jsonOut, "json", "", `write the report as JSON to this file ("-": stdout, the text going to stderr)`)
	fs.Int64Var(&opt.maxErrors, "max-errors", -1, "exit with status 1 if there were more errors than this (-1: never)")
	if err := fs.Parse(args); err != nil {
		return loadgen.Config{}, options{}, err
	}
	if fs.NArg() > 0 {
		return loadgen.Config{}, options{}, fmt.Errorf("loadgen: unexpected argument %q (URLs go in -url)", fs.Arg(0))
	}
	if urlFile != "" {
		urls, err := readURLs(urlFile)
		if err != nil {
			return loadgen.Config{}, options{}, err
		}
		cfg.URLs = append(cfg.URLs, urls...)
	}
	return cfg, opt, cfg.Validate()
}

// readURLs reads a file of URLs, one a line, skipping blank lines and
// comments.
func readURLs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	defer f.Close()
	var urls []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(urls) == loadgen.MaxURLs {
			return nil, fmt.Errorf("loadgen: %s: more than %d URLs", path, loadgen.MaxURLs)
		}
		urls = append(urls, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("loadgen: read %s: %w", path, err)
	}
	return urls, nil
}

// run parses args, runs and writes the report; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, opt, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	text := stdout
	if opt.jsonOut == "-" {
		text = stderr
	}
	if err := rep.WriteText(text); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	if opt.jsonOut != "" {
		if err := writeJSON(opt.jsonOut, stdout, rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if opt.maxErrors >= 0 && rep.Errors > opt.maxErrors {
		fmt.Fprintf(stderr, "loadgen: %d errors, more than -max-errors %d\n", rep.Errors, opt.maxErrors)
		return 1
	}
	return 0
}

func writeJSON(path string, stdout io.Writer, rep *loadgen.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("loadgen: encode report: %w", err)
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
	} else {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		return fmt.Errorf("loadgen: write report: %w", err)
	}
	return nil
}
