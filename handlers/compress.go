package handlers

import (
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// respond compresses every answer it caches itself, once per cached answer
// and content coding, on first demand: zstd, brotli or gzip, whichever the
// client accepts first in that order (zstd is the cheapest to decode,
// brotli the one every browser has, gzip the one every client has). The
// Gzip middleware compresses only what does not go through respond.

// coding is a content coding respond offers.
type coding struct {
	name     string // the Accept-Encoding / Content-Encoding token
	suffix   string // added to the ETag of the coded answer
	compress func([]byte) []byte
}

// codings are the content codings, in the server's order of preference.
var codings = [...]coding{
	{name: "zstd", suffix: "-zst", compress: zstdBytes},
	{name: "br", suffix: "-br", compress: brotliBytes},
	{name: "gzip", suffix: "-gz", compress: gzipBytes},
}

// codingGzip is the index of gzip in codings.
const codingGzip = 2

// minCompress is the size below which an answer is sent as it is: a header
// and a checksum would outweigh what compression saves.
const minCompress = 256

// accepted is what an Accept-Encoding header says of each coding: its
// q-value, or -1 when not mentioned, and the q-value of "*" (-1: absent).
type accepted struct {
	q    [len(codings)]float64
	star float64
}

// acceptEncodings parses an Accept-Encoding header.
func acceptEncodings(header string) accepted {
	a := accepted{star: -1}
	for i := range a.q {
		a.q[i] = -1
	}
	if header == "" {
		return a
	}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		v := 1.0
		if k, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				v = f
			}
		}
		if name == "*" {
			a.star = v
		}
		for i, c := range codings {
			if name == c.name || (c.name == "gzip" && name == "x-gzip") {
				a.q[i] = v
			}
		}
	}
	return a
}

// accepts reports whether coding i is listed, or covered by "*", with a
// q-value above 0.
func (a accepted) accepts(i int) bool {
	return a.q[i] > 0 || (a.q[i] < 0 && a.star > 0)
}

// negotiate returns the index in codings of the coding to answer with for
// an Accept-Encoding header: the first the header accepts, in the server's
// order; -1 for none (identity).
func negotiate(header string) int {
	a := acceptEncodings(header)
	for i := range codings {
		if a.accepts(i) {
			return i
		}
	}
	return -1
}

// encoded returns the answer's body in coding i, compressing it on first
// demand; kept is called with the bytes added when this call made it.
func (a *answer) encoded(i int, kept func(n int)) []byte {
	p := &a.coded[i]
	if b := p.Load(); b != nil {
		return *b
	}
	z := codings[i].compress(a.body)
	if p.CompareAndSwap(nil, &z) {
		kept(cap(z))
		return z
	}
	return *p.Load()
}

// codedForms are an answer's compressed bodies, by index in codings.
type codedForms = [len(codings)]atomic.Pointer[[]byte]

// gzipWriters reuses compressors, which are costly to make.
var gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression); return w }}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/4 + 64)
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&buf)
	_, _ = w.Write(b) // a bytes.Buffer does not fail
	_ = w.Close()
	gzipWriters.Put(w)
	return buf.Bytes()
}

// zstdEncoder compresses whole buffers; EncodeAll is safe for concurrent use.
var zstdEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))

func zstdBytes(b []byte) []byte {
	return zstdEncoder.EncodeAll(b, make([]byte, 0, len(b)/4+64))
}

// brotliLevel trades compression speed for size: 5 compresses JSON about as
// small as gzip -9 at about the speed of gzip -6.
const brotliLevel = 5

var brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(io.Discard, brotliLevel) }}

func brotliBytes(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/4 + 64)
	w := brotliWriters.Get().(*brotli.Writer)
	w.Reset(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	brotliWriters.Put(w)
	return buf.Bytes()
}
