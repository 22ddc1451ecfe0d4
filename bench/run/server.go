package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server started by the benchmark: controlmap or nginx.
type process struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port it listens on
	log  *os.File
	done chan error
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// start runs cmd with its output in logPath and returns once it runs.
func start(name string, cmd *exec.Cmd, addr, logPath string) (*process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %s log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that stopping it stops any children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, addr: addr, log: f, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// waitReady polls url until it answers 200, the process exits, or timeout
// passes; it returns how long that took from since.
func (p *process) waitReady(url string, since time.Time, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			return 0, fmt.Errorf("bench: %s exited before it was ready (%v); see %s", p.name, err, p.log.Name())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("bench: %s not ready at %s after %s; see %s", p.name, url, timeout, p.log.Name())
}

// stop sends SIGTERM to the process group and waits up to 10 s, then kills it.
func (p *process) stop() {
	if p == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	p.log.Close()
}

// memory reads VmRSS and VmHWM (peak RSS) of the process, in bytes.
func (p *process) memory() (rss, peak int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// fetch GETs url without compression and returns the status, body and the
// X-Cache header.
func fetch(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true, Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// controlmapEnv is the environment of the controlmap processes: this one's
// without any database URL or controlmap setting, plus extra.
func controlmapEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "CONTROLMAP_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startControlmap starts `controlmap serve` on a free loopback port and
// waits until /readyz answers; it returns the process and the time to ready.
func startControlmap(bin, name, logPath string, env []string, args ...string) (*process, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	args = append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	t0 := time.Now()
	p, err := start(name, cmd, addr, logPath)
	if err != nil {
		return nil, 0, err
	}
	ready, err := p.waitReady("http://"+addr+"/readyz", t0, 5*time.Minute)
	if err != nil {
		p.stop()
		return nil, 0, err
	}
	return p, ready, nil
}

// nginxConf is a throwaway nginx configuration serving root on addr, with
// every path it writes under dir, so that nothing installed is touched.
func nginxConf(dir, root, addr string) string {
	return fmt.Sprintf(`daemon off;
master_process on;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  types { application/geo+json geojson; }
  default_type application/octet-stream;
  client_body_temp_path %[1]s/client_body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen %[3]s;
    root %[2]s;
  }
}
`, dir, root, addr)
}

// startNginx serves the files in root with nginx on a free loopback port.
func startNginx(dir, root string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	conf := dir + "/nginx.conf"
	if err := os.WriteFile(conf, []byte(nginxConf(dir, root, addr)), 0o644); err != nil {
		return nil, fmt.Errorf("bench: nginx config: %w", err)
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	cmd := exec.Command(bin, "-e", dir+"/error.log", "-p", dir, "-c", conf)
	p, err := start("nginx", cmd, addr, dir+"/nginx.out")
	if err != nil {
		return nil, err
	}
	if _, err := p.waitReady("http://"+addr+"/a.geojson", time.Now(), 30*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}
