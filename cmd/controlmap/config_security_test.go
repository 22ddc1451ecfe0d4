package main

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestConfigSecurityOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string // substring of the parse or validation error; "" for none
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.AdminToken != "" || c.RateLimit != 50 || c.RateLimitBurst != 200 || !c.RateLimitExemptLoopback || len(c.TrustedProxies) != 0 {
				t.Errorf("defaults %+v", c)
			}
		}},
		{name: "token from the environment", env: map[string]string{"CONTROLMAP_ADMIN_TOKEN": "0123456789abcdef0123"},
			check: func(t *testing.T, c Config) {
				if c.AdminToken != "0123456789abcdef0123" {
					t.Errorf("token %q", c.AdminToken)
				}
			}},
		{name: "empty token from the environment", env: map[string]string{"CONTROLMAP_ADMIN_TOKEN": ""},
			check: func(t *testing.T, c Config) {
				// What docker-compose.yml passes when the variable is unset
				// where it runs: no admin endpoints, and no error.
				if c.AdminToken != "" {
					t.Errorf("token %q", c.AdminToken)
				}
			}},
		{name: "short token", args: []string{"--admin-token", "hunter2"}, wantErr: "--admin-token / CONTROLMAP_ADMIN_TOKEN: too short"},
		{name: "token with a space", env: map[string]string{"CONTROLMAP_ADMIN_TOKEN": "0123456789 abcdef0123"}, wantErr: "visible ASCII"},
		{name: "rate limit off", args: []string{"--rate-limit", "0", "--rate-limit-burst", "0"}, check: func(t *testing.T, c Config) {
			if c.RateLimit != 0 {
				t.Errorf("rate %v", c.RateLimit)
			}
		}},
		{name: "rate limit from the environment", env: map[string]string{"CONTROLMAP_RATE_LIMIT": "2.5", "CONTROLMAP_RATE_LIMIT_BURST": "5", "CONTROLMAP_RATE_LIMIT_EXEMPT_LOOPBACK": "false"},
			check: func(t *testing.T, c Config) {
				if c.RateLimit != 2.5 || c.RateLimitBurst != 5 || c.RateLimitExemptLoopback {
					t.Errorf("%+v", c)
				}
			}},
		{name: "negative rate", args: []string{"--rate-limit", "-1"}, wantErr: "--rate-limit / CONTROLMAP_RATE_LIMIT must be 0"},
		{name: "NaN rate", args: []string{"--rate-limit", "NaN"}, wantErr: "--rate-limit / CONTROLMAP_RATE_LIMIT must be 0"},
		{name: "zero burst", args: []string{"--rate-limit-burst", "0"}, wantErr: "--rate-limit-burst"},
		{name: "bad rate variable", env: map[string]string{"CONTROLMAP_RATE_LIMIT": "fast"}, wantErr: "CONTROLMAP_RATE_LIMIT=\"fast\" is not valid"},
		{name: "trusted proxies", args: []string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7,::1,2001:db8::/32"},
			check: func(t *testing.T, c Config) {
				want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
					netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("2001:db8::/32")}
				if !reflect.DeepEqual([]netip.Prefix(c.TrustedProxies), want) {
					t.Errorf("trusted proxies %v, want %v", c.TrustedProxies, want)
				}
			}},
		{name: "bad trusted proxy", env: map[string]string{"CONTROLMAP_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, wantErr: "CONTROLMAP_TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var usage strings.Builder
			c, err := parseConfig(tt.args, envFrom(tt.env), &usage)
			if err == nil {
				err = c.Validate()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if c.AdminToken != "" && strings.Contains(err.Error(), c.AdminToken) {
					t.Errorf("the error repeats the admin token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}
