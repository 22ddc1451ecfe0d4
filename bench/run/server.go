package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/controlmap/controlmap/bench/internal/proc"
)

// fetch GETs url without compression and returns the status and body.
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
  gzip_static on;
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
func startNginx(dir, root string) (*proc.Process, error) {
	addr, err := proc.FreeAddr()
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
	p, err := proc.Start("nginx", cmd, addr, dir+"/nginx.out")
	if err != nil {
		return nil, err
	}
	if _, err := p.WaitReady("http://"+addr+"/a.geojson", time.Now(), 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}
