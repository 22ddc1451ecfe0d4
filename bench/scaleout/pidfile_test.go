package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestCmdlineMatches(t *testing.T) {
	pt := paths{"/tmp/controlmap-scaleout"}
	bin, conf, data := pt.bin("controlmap"), nginxConfPath(pt.nginx()), pt.standbyData()
	for _, c := range []struct {
		name, cmdline, prog, want string
		ok                        bool
	}{
		{"replica", bin + "\x00serve\x00--addr\x00127.0.0.1:4000\x00--migrate=false\x00", "controlmap", bin, true},
		{"controlmap of another folder", "/tmp/controlmap-scaleout2/bin/controlmap\x00serve\x00", "controlmap", bin, false},
		{"the installed controlmap", "/usr/local/bin/controlmap\x00serve\x00", "controlmap", bin, false},
		{"another program started from the folder", "/bin/sh\x00" + bin + "\x00", "controlmap", bin, false},
		{"our nginx master, title rewritten",
			"nginx: master process /usr/sbin/nginx -e /tmp/controlmap-scaleout/nginx/error.log -p /tmp/controlmap-scaleout/nginx -c " + conf + "\x00\x00\x00\x00",
			"nginx", conf, true},
		{"our nginx, title as started", "/usr/sbin/nginx\x00-e\x00/tmp/controlmap-scaleout/nginx/error.log\x00-p\x00/tmp/controlmap-scaleout/nginx\x00-c\x00" + conf + "\x00", "nginx", conf, true},
		{"the system nginx", "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;\x00\x00\x00", "nginx", conf, false},
		{"an nginx worker", "nginx: worker process\x00\x00\x00\x00", "nginx", conf, false},
		{"nginx of a longer path", "nginx: master process /usr/sbin/nginx -c " + conf + ".old\x00", "nginx", conf, false},
		{"an editor of the configuration", "vi\x00" + conf + "\x00", "nginx", conf, false},
		{"the standby", "/usr/lib/postgresql/15/bin/postgres\x00-D\x00" + data + "\x00", "postgres", data, true},
		{"the system cluster", "/usr/lib/postgresql/15/bin/postgres\x00-D\x00/var/lib/postgresql/15/main\x00-c\x00config_file=/etc/postgresql/15/main/postgresql.conf\x00", "postgres", data, false},
		{"a postgres backend", "postgres: 15/main: postgres postgres 127.0.0.1(5000) idle\x00", "postgres", data, false},
		{"no command line (a kernel thread or a zombie)", "", "nginx", conf, false},
		{"a relative want", "nginx\x00-c\x00nginx.conf\x00", "nginx", "nginx.conf", false},
	} {
		if got := cmdlineMatches(c.cmdline, c.prog, c.want); got != c.ok {
			t.Errorf("%s: cmdlineMatches = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestReadPID(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]int{
		"4242\n": 4242,
		"4242\n/tmp/w/pg/standby\n1700000000\n5433\n": 4242, // postmaster.pid
		"":      0,
		"1\n":   0,
		"x\n":   0,
		"-12\n": 0,
	} {
		path := filepath.Join(dir, "x.pid")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		pid, err := readPID(path)
		if pid != want || (err == nil) != (want != 0) {
			t.Errorf("readPID(%q) = %d, %v; want %d", text, pid, err, want)
		}
	}
}

// startAs starts /bin/sleep under the name path (a copy) and reaps it when
// it ends.
func startAs(t *testing.T, path string) (*exec.Cmd, chan struct{}) {
	t.Helper()
	b, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Skip("no /bin/sleep:", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	// Start returns once the exec cannot fail, which is before the kernel
	// has put the new program's arguments in place: for a moment
	// /proc/pid/cmdline is empty (seen: 1 start in 10 on 2 cores).
	cmdline := fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)
	for i := 0; ; i++ {
		if b, err := os.ReadFile(cmdline); err == nil && len(b) > 0 {
			break
		}
		if i == 1000 {
			t.Fatalf("%s still empty after 1 s", cmdline)
		}
		time.Sleep(time.Millisecond)
	}
	return cmd, done
}

func TestStopByPIDFile(t *testing.T) {
	pt := paths{t.TempDir()}
	pidFile := pt.replicaPID(0)

	// A process that is not the run's controlmap is left alone.
	other, otherDone := startAs(t, filepath.Join(t.TempDir(), "bin", "controlmap"))
	if err := os.WriteFile(pidFile, []byte(fmt.Sprintln(other.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	stopByPIDFile(pidFile, "controlmap", pt.bin("controlmap"))
	select {
	case <-otherDone:
		t.Fatal("stopByPIDFile stopped a controlmap of another folder")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Error("the pid file is still there")
	}

	// The run's own is stopped.
	own, ownDone := startAs(t, pt.bin("controlmap"))
	if err := os.WriteFile(pidFile, []byte(fmt.Sprintln(own.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	stopByPIDFile(pidFile, "controlmap", pt.bin("controlmap"))
	select {
	case <-ownDone:
	case <-time.After(5 * time.Second):
		t.Fatal("stopByPIDFile did not stop the run's controlmap")
	}
	if ws, ok := own.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
		t.Errorf("it ended with %v, want SIGTERM", own.ProcessState)
	}
}
