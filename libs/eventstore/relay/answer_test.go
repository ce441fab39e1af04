package relay

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestFastAnswer reads the answers a server sends to a fast batch of five
// messages: flow control is not final, the batch's acknowledgement of all
// five is, one of fewer or with an error fails the batch, and a plain
// PubAck (a server without fast batches, which stored the message as a
// single publish) says to publish to that stream one by one.
func TestFastAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		answer     string
		final      bool
		ok         bool
		noBatches  bool
		apiErrCode jetstream.ErrorCode
	}{
		{name: "flow control", answer: `{"type":"ack","seq":500,"msgs":500}`},
		{name: "all taken", answer: `{"stream":"O2C_LEDGER","seq":12,"batch":"b","count":5}`, final: true, ok: true},
		{name: "all taken, last a duplicate", answer: `{"stream":"O2C_LEDGER","seq":11,"batch":"b","count":5,"duplicate":true}`, final: true, ok: true},
		{name: "ended early", answer: `{"stream":"O2C_LEDGER","seq":9,"batch":"b","count":3}`, final: true},
		{name: "gap", answer: `{"type":"gap","last_seq":2,"seq":4}`, final: true},
		{name: "stream refuses batches", answer: `{"error":{"code":400,"err_code":10205,"description":"batch publish is disabled"}}`, final: true, apiErrCode: errBatchDisabled},
		{name: "server without fast batches", answer: `{"stream":"O2C_LEDGER","seq":7}`, final: true, noBatches: true},
		{name: "not JSON", answer: `+OK`, final: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			final, err := fastAnswer([]byte(tc.answer), 5)
			if final != tc.final || (err == nil) != tc.ok && tc.final {
				t.Fatalf("fastAnswer = %v, %v; want final %v, ok %v", final, err, tc.final, tc.ok)
			}
			if got := errors.Is(err, errNoFastBatches); got != tc.noBatches {
				t.Errorf("error %v: errNoFastBatches %v, want %v", err, got, tc.noBatches)
			}
			var apiErr *jetstream.APIError
			if got := errors.As(err, &apiErr); got != (tc.apiErrCode != 0) || got && apiErr.ErrorCode != tc.apiErrCode {
				t.Errorf("error %v: want API error code %d", err, tc.apiErrCode)
			}
		})
	}
}
