package handlers

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// One write for an answer's headers and body.
//
// net/http writes a response through a 4 KiB buffer: an answer larger than
// what is left of it after the headers leaves in two writes, the buffer
// (headers and the first part of the body) and then the rest of the body.
// Each is a system call, and on loopback a packet the client wakes for (on
// a network, a short segment more): the server's CPU for the dated layer
// the map asks for (21 kB) was a third system calls, and the client's work
// grew with it. A connection from Listen can hold its first write while
// sendBlob writes an answer, and send it with the next one in one writev
// (the rest of the body, or what a flush of the response writes); whatever
// it holds it sends before sendBlob returns, panics included.

// Listen wraps ln's connections so that answers can be sent in one write.
// The server's ConnContext (NewHTTPServer) hands them to the handlers. ln
// must be a TCP listener, never a TLS one (net/http would no longer see the
// *tls.Conn: no Request.TLS, no HTTP/2), and should be the listener itself:
// the joined write is one writev only on a *net.TCPConn (on another
// connection it is two writes, as before).
func Listen(ln net.Listener) net.Listener { return joinListener{ln} }

type joinListener struct{ net.Listener }

func (l joinListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &joinConn{Conn: c}, nil
}

// joinConn is a connection that can join two writes. net/http writes to a
// connection from the goroutine serving its requests (HTTP/1.x), the one
// the handlers run in, so it needs no lock. (The one exception, a
// "100 Continue" written by whichever goroutine reads a request's body,
// does not arise: no handler reads a body in another goroutine.)
type joinConn struct {
	net.Conn
	holding bool    // hold the next write
	held    *[]byte // a copy of the write held, from heldPool; nil if none
	vec     [2][]byte
	joined  atomic.Int64 // writes sent joined to the next one (read by tests)
}

type connKey struct{}

// connContext gives the request context its connection if it is one of
// Listen's.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if jc, ok := c.(*joinConn); ok {
		return context.WithValue(ctx, connKey{}, jc)
	}
	return ctx
}

// holdWrites makes the connection of req hold its next write until the one
// after it, and returns it; its end must be called before the handler
// returns. It returns nil (whose end does nothing) on other connections,
// and for HTTP/2, whose streams share a connection written by another
// goroutine.
func holdWrites(req *http.Request) *joinConn {
	jc, _ := req.Context().Value(connKey{}).(*joinConn)
	if jc == nil || req.ProtoMajor != 1 {
		return nil
	}
	jc.holding = true
	return jc
}

// holds reports whether c holds a write (false for nil).
func (c *joinConn) holds() bool { return c != nil && c.held != nil }

// heldPool keeps the copies of held writes, so that a connection holds no
// memory of its own between answers (idle kept-alive connections included)
// and an answer allocates none.
var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxHeld bounds what a connection holds, for safety: what it is asked to
// hold is net/http's buffer, 4 KiB.
const maxHeld = 8 << 10

func (c *joinConn) Write(p []byte) (int, error) {
	if !c.holding {
		return c.Conn.Write(p)
	}
	if c.held == nil {
		if len(p) > maxHeld {
			c.holding = false
			return c.Conn.Write(p)
		}
		bp := heldPool.Get().(*[]byte)
		*bp = append((*bp)[:0], p...)
		c.held = bp
		return len(p), nil
	}
	c.holding = false
	bp := c.held
	c.held = nil
	c.vec = [2][]byte{*bp, p}
	bufs := net.Buffers(c.vec[:])
	held := len(*bp)
	c.joined.Add(1)
	n, err := bufs.WriteTo(c.Conn) // advances bufs, trimming c.vec's entries (bp keeps the copy)
	c.vec = [2][]byte{}            // keeps no answer
	heldPool.Put(bp)               // written (or failed): the kernel has what it took
	// The held bytes were reported written already. If they did not all
	// leave, err says so and net/http closes the connection.
	return max(int(n)-held, 0), err
}

// end stops holding and sends what is held, joined to what flush writes if
// it writes (the response's flush, which writes what net/http still
// buffers). A second call, or one on nil, does nothing.
func (c *joinConn) end(flush func() error) {
	if c == nil {
		return
	}
	if c.held != nil && flush != nil {
		// A failed write is net/http's to see (the joined write returns
		// its error); a flush that wrote nothing leaves the held write
		// to go alone below.
		_ = flush()
	}
	c.holding = false
	if c.held == nil {
		return
	}
	bp := c.held
	c.held = nil
	_, err := c.Conn.Write(*bp)
	heldPool.Put(bp)
	if err != nil {
		// net/http reported these bytes written and would not see the
		// error (a write timeout, say, is reset for the next request):
		// close the connection, as net/http does after a failed write,
		// rather than answer the next request on it after a part of this.
		_ = c.Conn.Close()
	}
}

// ReadFrom keeps the connection's own (sendfile for files).
func (c *joinConn) ReadFrom(r io.Reader) (int64, error) {
	c.end(nil)
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}

// CloseWrite keeps the connection's own: net/http half-closes a connection
// before closing it after an error.
func (c *joinConn) CloseWrite() error {
	c.end(nil)
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
