package handlers

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// One write for an answer's headers and body.
//
// net/http writes a response through a 4 KiB buffer: an answer larger than
// what is left of it after the headers leaves in two writes, the buffer
// (headers and the first part of the body) and then the rest of the body.
// On loopback or a fast link each is a system call and a packet the client
// wakes for: for the dated layer the map asks for (21 kB) the second write
// was a fifth of the server's CPU. A connection from Listen can hold its
// first write while respond writes an answer, and send it with the next one
// in one writev (the rest of the body, or what a flush of the response
// writes); whatever it holds it sends before respond returns.

// Listen wraps ln's connections so that answers can be sent in one write.
// The server's ConnContext (NewHTTPServer) hands them to the handlers.
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
// connection from the goroutine serving its requests only (HTTP/1.x), the
// one respond runs in, so it needs no lock.
type joinConn struct {
	net.Conn
	holding bool   // hold the next write
	held    []byte // the write held (its own copy), nil if none
	buf     []byte // held's storage, kept for the connection's next answer
	bufs    net.Buffers
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
// after it. The returned function ends the holding and must be called
// before the handler returns: if a write is still held, it calls flush (the
// response's, which writes what net/http still buffers, and so joins it to
// the held one), and sends whatever is left held alone. It does nothing on
// other connections, nor for HTTP/2, whose streams share a connection
// written by another goroutine.
func holdWrites(req *http.Request) (send func(flush func() error)) {
	jc, _ := req.Context().Value(connKey{}).(*joinConn)
	if jc == nil || req.ProtoMajor != 1 {
		return func(func() error) {}
	}
	jc.holding = true
	return jc.sendHeld
}

// maxHeld bounds what a connection holds; net/http's writes in the middle of
// an answer are 4 KiB.
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
		c.held = append(c.buf[:0], p...)
		c.buf = c.held
		return len(p), nil
	}
	c.holding = false
	c.bufs = append(c.bufs[:0], c.held, p)
	c.held = nil
	c.joined.Add(1)
	held := len(c.buf)
	n, err := c.bufs.WriteTo(c.Conn)
	c.bufs = c.bufs[:0]
	// The held bytes were reported written already.
	return max(int(n)-held, 0), err
}

// sendHeld stops holding and sends what is held, joined to what flush
// writes if it writes.
func (c *joinConn) sendHeld(flush func() error) {
	if c.held != nil && flush != nil {
		_ = flush() // an error is the connection's, met again below
	}
	c.holding = false
	if c.held == nil {
		return
	}
	p := c.held
	c.held = nil
	// An error here is the connection's: net/http meets it again on its
	// next write or read and closes the connection.
	_, _ = c.Conn.Write(p)
}

// ReadFrom keeps the connection's own (sendfile for files).
func (c *joinConn) ReadFrom(r io.Reader) (int64, error) {
	c.sendHeld(nil)
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}

// CloseWrite keeps the connection's own: net/http half-closes a connection
// before closing it after an error.
func (c *joinConn) CloseWrite() error {
	c.sendHeld(nil)
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
