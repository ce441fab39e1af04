package host_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
)

// TestFromEnvStreamLimits: the stream limits and the consumers' in-flight
// bound come from the environment, zero (the defaults) when unset, and a
// value that is not a count is named.
func TestFromEnvStreamLimits(t *testing.T) {
	t.Parallel()
	base := map[string]string{"DATABASE_URL": "postgres://x", "O2C_TENANTS": "t.json", "O2C_AUTH": "dev"}
	type got struct {
		Limits        bus.Limits
		MaxAckPending int
	}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    got
		wantErr string
	}{
		{"unset", nil, got{}, ""},
		{"set", map[string]string{"NATS_STREAM_MAX_MSGS": "5000", "NATS_STREAM_MAX_BYTES": "-1", "NATS_STREAM_MAX_AGE": "72h", "NATS_MAX_ACK_PENDING": "64"},
			got{bus.Limits{MaxMsgs: 5000, MaxBytes: -1, MaxAge: 72 * time.Hour}, 64}, ""},
		{"three replicas", map[string]string{"NATS_STREAM_REPLICAS": "3"}, got{bus.Limits{Replicas: 3}, 0}, ""},
		{"six replicas", map[string]string{"NATS_STREAM_REPLICAS": "6"}, got{}, `NATS_STREAM_REPLICAS="6": want 1 to 5 (JetStream keeps at most five replicas)`},
		{"not a count", map[string]string{"NATS_STREAM_MAX_MSGS": "lots"}, got{}, `NATS_STREAM_MAX_MSGS="lots": want a count, or -1 for unlimited`},
		{"negative in flight", map[string]string{"NATS_MAX_ACK_PENDING": "-3"}, got{}, `NATS_MAX_ACK_PENDING="-3": want a positive count`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := host.FromEnv(func(k string) string { return env[k] }, "127.0.0.1:0")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("FromEnv: %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got{c.StreamLimits, c.MaxAckPending}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
