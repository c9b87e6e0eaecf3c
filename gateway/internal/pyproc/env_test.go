package pyproc

import (
	"slices"
	"strings"
	"testing"
)

// TestEnvScheduling: the workers are asked for the policy the settings
// name, and for no other: a scheduling variable in Brick's own
// environment (left by whatever started it) does not reach them.
func TestEnvScheduling(t *testing.T) {
	tests := []struct {
		name       string
		inherited  string // Brick's own SchedEnv; "" for none
		scheduling string
		want       []string // the SchedEnv entries the workers get
	}{
		{"batch", "", SchedBatch, []string{SchedEnv + "=" + SchedBatch}},
		{"normal", "", SchedNormal, []string{SchedEnv + "=" + SchedNormal}},
		{"normal, batch inherited", SchedBatch, SchedNormal, []string{SchedEnv + "=" + SchedNormal}},
		{"batch, batch inherited", SchedBatch, SchedBatch, []string{SchedEnv + "=" + SchedBatch}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.inherited != "" {
				t.Setenv(SchedEnv, tc.inherited)
			}
			var got []string
			for _, kv := range Env(Spec{Scheduling: tc.scheduling}) {
				if strings.HasPrefix(kv, SchedEnv+"=") {
					got = append(got, kv)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("the workers' %s entries: %q, want %q", SchedEnv, got, tc.want)
			}
		})
	}
}
