package handlers

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
)

// connPair returns a connection accepted through Listen and the client's
// end of it.
func connPair(t *testing.T) (*joinConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	jl := Listen(ln)
	defer jl.Close()
	dialed := make(chan net.Conn, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Error(err)
		}
		dialed <- c
	}()
	c, err := jl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client := <-dialed
	if client == nil {
		t.FailNow()
	}
	t.Cleanup(func() { c.Close(); client.Close() })
	jc, ok := c.(*joinConn)
	if !ok {
		t.Fatalf("Listen accepted a %T", c)
	}
	return jc, client
}

// onConn is a request served on jc.
func onConn(jc *joinConn) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	return req.WithContext(connContext(req.Context(), jc))
}

// readN reads n bytes from c (or fails after a generous deadline).
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(b)
}

func TestJoinConnSendsTwoWritesAsOne(t *testing.T) {
	jc, client := connPair(t)
	send := holdWrites(onConn(jc)).end
	if n, err := jc.Write([]byte("headers;")); n != 8 || err != nil {
		t.Fatalf("the held write: %d, %v", n, err)
	}
	if jc.held == nil || string(*jc.held) != "headers;" {
		t.Fatalf("held %v, want the first write", jc.held)
	}
	body := strings.Repeat("b", 5000)
	if n, err := jc.Write([]byte(body)); n != len(body) || err != nil {
		t.Fatalf("the joined write: %d, %v (want %d)", n, err, len(body))
	}
	if jc.joined.Load() != 1 || jc.held != nil || jc.holding {
		t.Fatalf("after the second write: joined %d, held %v, holding %v", jc.joined.Load(), jc.held, jc.holding)
	}
	flushed := false
	send(func() error { flushed = true; return nil })
	if flushed {
		t.Error("send flushed although nothing was held")
	}
	if got := readN(t, client, 8+len(body)); got != "headers;"+body {
		t.Errorf("the client read %.20q…, want the two writes in order", got)
	}
	// No longer holding: a write goes as it is.
	if _, err := jc.Write([]byte("next")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, client, 4); got != "next" || jc.joined.Load() != 1 {
		t.Errorf("after the answer: read %q, joined %d", got, jc.joined.Load())
	}
}

func TestJoinConnSendsWhatItHoldsWhenTheAnswerEnds(t *testing.T) {
	jc, client := connPair(t)
	send := holdWrites(onConn(jc)).end
	if _, err := jc.Write([]byte("alone")); err != nil {
		t.Fatal(err)
	}
	// A flush that writes joins the held write.
	send(func() error { _, err := jc.Write([]byte("+flushed")); return err })
	if got := readN(t, client, 13); got != "alone+flushed" || jc.joined.Load() != 1 {
		t.Errorf("read %q, joined %d; want the held write joined to the flush", got, jc.joined.Load())
	}
	// A flush that writes nothing: the held write leaves alone.
	send = holdWrites(onConn(jc)).end
	if _, err := jc.Write([]byte("single")); err != nil {
		t.Fatal(err)
	}
	send(func() error { return nil })
	if got := readN(t, client, 6); got != "single" || jc.held != nil || jc.holding {
		t.Errorf("read %q, held %v, holding %v", got, jc.held, jc.holding)
	}
	send(nil) // a second call does nothing
	if jc.joined.Load() != 1 {
		t.Errorf("joined %d, want 1", jc.joined.Load())
	}
}

func TestJoinConnHoldsNoLargeWrite(t *testing.T) {
	jc, client := connPair(t)
	send := holdWrites(onConn(jc)).end
	big := bytes.Repeat([]byte("x"), maxHeld+1)
	if _, err := jc.Write(big); err != nil {
		t.Fatal(err)
	}
	if jc.held != nil || jc.holding {
		t.Fatalf("a write of %d bytes was held", len(big))
	}
	if got := readN(t, client, len(big)); got != string(big) {
		t.Error("the large write did not arrive")
	}
	send(nil)
}

func TestHoldWritesOnlyHTTP1OnListensConnections(t *testing.T) {
	// A request on another connection: nothing to hold, nothing to send.
	if h := holdWrites(httptest.NewRequest(http.MethodGet, "/", nil)); h != nil || h.holds() {
		t.Error("a request on another connection can hold writes")
	} else {
		h.end(nil) // does nothing
	}
	jc, _ := connPair(t)
	req := onConn(jc)
	req.ProtoMajor, req.ProtoMinor = 2, 0
	if h := holdWrites(req); h != nil || jc.holding {
		t.Error("an HTTP/2 request made its connection hold writes")
	}
}

func TestJoinConnKeepsReadFromAndCloseWrite(t *testing.T) {
	jc, client := connPair(t)
	var c net.Conn = jc
	rf, ok := c.(io.ReaderFrom)
	if !ok {
		t.Fatal("a joinConn is no io.ReaderFrom: net/http would lose sendfile")
	}
	if _, ok := c.(interface{ CloseWrite() error }); !ok {
		t.Fatal("a joinConn cannot CloseWrite")
	}
	holdWrites(onConn(jc))
	if _, err := jc.Write([]byte("held;")); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.ReadFrom(strings.NewReader("read")); err != nil {
		t.Fatal(err)
	}
	if err := jc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil || string(got) != "held;read" {
		t.Errorf("read %q, %v; want what was held, then what was read, then EOF", got, err)
	}
}

// recordingListener keeps the connections it accepts.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*joinConn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if jc, ok := c.(*joinConn); ok {
		l.mu.Lock()
		l.conns = append(l.conns, jc)
		l.mu.Unlock()
	}
	return c, err
}

// TestAnswersLeaveInOneWrite serves the fixture through NewHTTPServer and
// Listen, as serve does, and asks on one kept-alive connection for answers
// of every size: each arrives whole and as the handler writes it, and the
// answers larger than net/http's buffer were joined.
func TestAnswersLeaveInOneWrite(t *testing.T) {
	app := New(memory.New(storetest.Fixture()), Options{Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &recordingListener{Listener: Listen(ln)}
	srv := NewHTTPServer(app, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(rl) }()
	t.Cleanup(func() { srv.Close() })
	// A write left held would leave the client waiting: the timeout turns
	// that into a failure.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true, MaxConnsPerHost: 1}}
	base := "http://" + ln.Addr().String()

	ask := func(method, path string, headers ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	direct := func(path string, headers ...string) []byte {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = ln.Addr().String() // the links name it
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec.Body.Bytes()
	}
	joined := func() int64 {
		rl.mu.Lock()
		defer rl.mu.Unlock()
		n := int64(0)
		for _, c := range rl.conns {
			n += c.joined.Load()
		}
		return n
	}

	// Sizes: a large answer (the API description: the rest of its body is
	// written past the buffer and joined), a middle one (the same in gzip:
	// its rest stays in the buffer and the flush joins it), a small one.
	apiPlain := direct("/api")
	apiGzip := direct("/api", "Accept-Encoding", "gzip")
	small := direct("/conformance")
	if len(apiPlain) < 16<<10 || len(small) > 2<<10 {
		t.Fatalf("the fixture's sizes changed: /api %d B, /conformance %d B", len(apiPlain), len(small))
	}
	wantJoined := int64(0)
	for range 2 {
		res, b := ask(http.MethodGet, "/api")
		if res.StatusCode != 200 || !bytes.Equal(b, apiPlain) || res.ContentLength != int64(len(apiPlain)) {
			t.Fatalf("/api: %d, %d bytes (Content-Length %d), want the %d the handler writes", res.StatusCode, len(b), res.ContentLength, len(apiPlain))
		}
		wantJoined++
		if got := joined(); got != wantJoined {
			t.Errorf("after /api: %d answers joined, want %d", got, wantJoined)
		}
	}
	res, b := ask(http.MethodGet, "/api", "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(b, apiGzip) {
		t.Fatalf("/api in gzip: %q, %d bytes, want the %d the handler writes", res.Header.Get("Content-Encoding"), len(b), len(apiGzip))
	}
	if zr, err := gzip.NewReader(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	} else if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, apiPlain) {
		t.Fatalf("/api in gzip does not decompress to /api: %v", err)
	}
	// With its headers (under 1 KiB) between one and two buffers (8 KiB):
	// the rest of its body stays in the buffer until the flush.
	if len(apiGzip) < 4<<10 || len(apiGzip) > 7<<10 {
		t.Fatalf("/api in gzip is %d B, no longer between one and two buffers with its headers", len(apiGzip))
	}
	wantJoined++
	if got := joined(); got != wantJoined {
		t.Errorf("after /api in gzip (%d B): %d answers joined, want %d", len(apiGzip), got, wantJoined)
	}
	res, b = ask(http.MethodHead, "/api")
	if res.StatusCode != 200 || len(b) != 0 || res.ContentLength != int64(len(apiPlain)) {
		t.Errorf("HEAD /api: %d, %d bytes, Content-Length %d", res.StatusCode, len(b), res.ContentLength)
	}
	res, b = ask(http.MethodGet, "/api", "If-None-Match", res.Header.Get("ETag"))
	if res.StatusCode != http.StatusNotModified || len(b) != 0 {
		t.Errorf("/api with its ETag: %d, %d bytes", res.StatusCode, len(b))
	}
	res, b = ask(http.MethodGet, "/conformance")
	if res.StatusCode != 200 || !bytes.Equal(b, small) {
		t.Errorf("/conformance: %d, %q", res.StatusCode, b)
	}
	if got := joined(); got != wantJoined {
		t.Errorf("HEAD, 304 and a small answer joined writes: %d, want %d", got, wantJoined)
	}
	// Had a write been left held, the answers after it would not have
	// arrived.
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if len(rl.conns) != 1 {
		t.Errorf("%d connections, want the one kept alive", len(rl.conns))
	}
}

// TestAPanicLeavesNothingHeld: a handler that panics while sendBlob writes
// (here in a hook run before the headers) must leave the connection as it
// found it: the 500 the recoverer writes arrives, and so does the next
// answer on the same connection.
func TestAPanicLeavesNothingHeld(t *testing.T) {
	e := echo.New()
	e.Use(recoverer(slog.New(slog.DiscardHandler)))
	big := bytes.Repeat([]byte("y"), 20000)
	e.GET("/panic", func(c echo.Context) error {
		panicked := false
		c.Response().Before(func() {
			if !panicked { // once: the error handler's answer runs the hooks again
				panicked = true
				panic("a hook failed")
			}
		})
		return sendBlob(c, "text/plain", big)
	})
	e.GET("/ok", func(c echo.Context) error { return sendBlob(c, "text/plain", big) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(e, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(Listen(ln)) }()
	t.Cleanup(func() { srv.Close() })
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	for _, want := range []struct {
		path   string
		status int
	}{{"/panic", http.StatusInternalServerError}, {"/ok", http.StatusOK}, {"/panic", http.StatusInternalServerError}, {"/ok", http.StatusOK}} {
		res, err := client.Get("http://" + ln.Addr().String() + want.path)
		if err != nil {
			t.Fatalf("%s: %v (an answer left held never arrives)", want.path, err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != want.status {
			t.Fatalf("%s: %d, %v; want %d", want.path, res.StatusCode, err, want.status)
		}
		if want.status == http.StatusOK && !bytes.Equal(b, big) {
			t.Fatalf("%s: %d bytes, want the %d written", want.path, len(b), len(big))
		}
	}
}

// failingConn fails every write and records Close.
type failingConn struct {
	net.Conn
	closed bool
}

func (c *failingConn) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
func (c *failingConn) Close() error              { c.closed = true; return nil }

// TestJoinConnClosesWhenWhatItHeldCannotLeave: net/http was told the held
// bytes were written, so a failure to send them must close the connection
// rather than let the next answer follow a part of this one.
func TestJoinConnClosesWhenWhatItHeldCannotLeave(t *testing.T) {
	fc := &failingConn{}
	jc := &joinConn{Conn: fc}
	send := holdWrites(onConn(jc)).end
	if _, err := jc.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	send(nil)
	if !fc.closed || jc.held != nil || jc.holding {
		t.Errorf("closed %v, held %v, holding %v; want the connection closed", fc.closed, jc.held, jc.holding)
	}
}
