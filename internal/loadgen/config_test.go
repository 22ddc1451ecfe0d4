package loadgen

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		ok       bool
		loopback bool // a refusal because of the host (ErrNotLoopback)
	}{
		{"http://127.0.0.1:8080/collections", true, false},
		{"http://127.8.9.10/", true, false},
		{"https://localhost:8443/x?y=1", true, false},
		{"http://LOCALHOST/", true, false},
		{"http://[::1]:8080/", true, false},
		{"http://[::ffff:127.0.0.1]:80/", true, false},
		{"http://example.com/", false, true},
		{"http://localhost.example.com/", false, true},
		{"http://10.0.0.1/", false, true},
		{"http://0.0.0.0:8080/", false, true},
		{"http://[::]:8080/", false, true},
		{"http://192.168.1.1/", false, true},
		{"http://[2001:db8::1]/", false, true},
		{"http://127.1/", false, true}, // not an address Go parses; refused rather than resolved
		{"http://128.0.0.1/", false, true},
		{"http:///nohost", false, true},
		{"ftp://127.0.0.1/", false, false},
		{"127.0.0.1:8080/path", false, false},
		{"http://127.0.0.1:8080/%zz", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(tt.url)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
			}
			if errors.Is(err, ErrNotLoopback) != tt.loopback {
				t.Errorf("CheckURL(%q) = %v; ErrNotLoopback %v, want %v", tt.url, err, !tt.loopback, tt.loopback)
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:80", true},
		{"127.0.0.53:53", true},
		{"[::1]:8080", true},
		{"10.0.0.1:80", false},
		{"[2001:db8::1]:443", false},
		{"93.184.216.34:80", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := loopbackOnly("tcp", tt.addr, nil)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrNotLoopback)) {
				t.Errorf("loopbackOnly(%q) = %v, want ok %v", tt.addr, err, tt.ok)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{URLs: []string{"http://127.0.0.1/"}, Concurrency: 64, Duration: 10 * time.Second, Timeout: time.Second}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // substring of the error; "" for valid
	}{
		{"good", func(*Config) {}, ""},
		{"longest run", func(c *Config) { c.Duration = MaxDuration }, ""},
		{"too long", func(c *Config) { c.Duration = MaxDuration + time.Second }, "duration"},
		{"no duration", func(c *Config) { c.Duration = 0 }, "duration"},
		{"no URL", func(c *Config) { c.URLs = nil }, "no URL"},
		{"one bad URL among good", func(c *Config) { c.URLs = append(c.URLs, "http://example.org/") }, "example.org"},
		{"no connections", func(c *Config) { c.Concurrency = 0 }, "concurrency"},
		{"too many connections", func(c *Config) { c.Concurrency = MaxConcurrency + 1 }, "concurrency"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "rate"},
		{"NaN rate", func(c *Config) { c.Rate = math.NaN() }, "rate"},
		{"infinite rate", func(c *Config) { c.Rate = math.Inf(1) }, "rate"},
		{"negative requests", func(c *Config) { c.Requests = -1 }, "requests"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"bad header", func(c *Config) { c.Header = map[string]string{"a b": "c"} }, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.URLs = append([]string(nil), good.URLs...)
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error about %s", err, tt.want)
			}
		})
	}
}
