package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Fast batch publishing (nats-server 2.14 and later, a stream with
// AllowBatchPublish): the messages of a batch are plain core NATS
// publishes whose reply subject names the batch, the message's place in
// it and what it does,
//
//	<inbox>.<batch id>.<flow>.fail.<sequence>.<operation>.$FI
//
// with operation 0 for the first message, 1 for the ones after it and 2 for
// the last, which commits the batch. The server stores each message as it
// comes, as a single publish would (Nats-Msg-Id deduplication included: a
// duplicate, first, last or between, is skipped and counted), and answers
// the batch with one acknowledgement naming the batch and the number of
// messages it took, besides flow control messages every <flow> messages.
// In the "fail" gap mode a lost message or an error ends the batch early:
// the acknowledgement then counts fewer messages than were sent, or carries
// an error, and the relay publishes the batch's messages one by one.
// Atomic batches (AllowAtomicPublish) are not used: one duplicate
// rejects the whole atomic batch (JSAtomicPublishContainsDuplicateMessageErr),
// which a relay re-publishing after a crash must expect, and a file stream
// of one replica stages every message of an atomic batch in a second file
// store before it commits.
const (
	fastSuffix   = ".$FI"
	fastFlow     = 500 // flow control message every 500 messages at most
	fastOpStart  = 0
	fastOpAppend = 1
	fastOpCommit = 2
	// errBatchDisabled is the JetStream error code of a stream without
	// AllowBatchPublish.
	errBatchDisabled = 10205
)

// errNoFastBatches means the server answered a fast batch's message as a
// single publish: it does not know fast batches, and the relay publishes
// to that stream one by one from then on (what the server stored is
// deduplicated when published again).
var errNoFastBatches = errors.New("fast batch: the server stored the message as a single publish; it does not support fast batches")

// publishFast publishes msgs in one fast batch per stream and sets ok[i]
// for every message of a batch the stream acknowledged in full. It waits
// for the acknowledgements until waitCtx ends. A message left without ok
// (its stream unknown or refusing batches, its batch ended early or not
// acknowledged in time) is for the caller to publish on its own.
func (r *Relay) publishFast(waitCtx context.Context, msgs []*nats.Msg, ok []bool) {
	// The messages of each stream, in log order.
	var order []string
	groups := make(map[string][]int)
	for i, m := range msgs {
		stream := r.cfg.Stream(m.Subject)
		if stream == "" || r.unbatched[stream] {
			continue
		}
		if _, seen := groups[stream]; !seen {
			order = append(order, stream)
		}
		groups[stream] = append(groups[stream], i)
	}
	if len(order) == 0 {
		return
	}
	nc := r.fast.Conn()
	inbox := nc.NewInbox()
	// The server keys a stream's fast batches by the reply subject's token
	// before the flow (the batch id), so it must be unique: a batch that
	// another publisher, or this relay before it was killed, left
	// unfinished on the stream would otherwise take this one's messages as
	// its own (the server skips them without an answer while it commits).
	// The inbox's last token is unique; the batch of group g is <it>-<g>.
	batchID := inbox[strings.LastIndexByte(inbox, '.')+1:] + "-"
	type outcome struct {
		group int
		err   error
	}
	// The subscription's callbacks run one at a time, so decided needs
	// no lock; each batch sends at most one outcome, so done never
	// blocks, also for answers that come after publishFast returned.
	done := make(chan outcome, len(order))
	decided := make([]bool, len(order))
	sub, err := nc.Subscribe(inbox+".>", func(m *nats.Msg) {
		id, _, _ := strings.Cut(strings.TrimPrefix(m.Subject, inbox+"."), ".")
		g, err := strconv.Atoi(strings.TrimPrefix(id, batchID))
		if err != nil || g < 0 || g >= len(order) || decided[g] {
			return
		}
		final, err := fastAnswer(m.Data, len(groups[order[g]]))
		if !final {
			return
		}
		decided[g] = true
		done <- outcome{group: g, err: err}
	})
	if err != nil {
		return
	}
	defer sub.Unsubscribe() //nolint:errcheck // Answers after this are ignored anyway.
	sent := 0
	var reply []byte
	for g, stream := range order {
		idx := groups[stream]
		var err error
		for k, i := range idx {
			op := fastOpAppend
			if k == 0 {
				op = fastOpStart
			}
			if k == len(idx)-1 {
				op = fastOpCommit
			}
			reply = append(reply[:0], inbox...)
			reply = append(reply, '.')
			reply = append(reply, batchID...)
			reply = strconv.AppendInt(reply, int64(g), 10)
			reply = append(reply, "."+strconv.Itoa(fastFlow)+".fail."...)
			reply = strconv.AppendInt(reply, int64(k+1), 10)
			reply = append(reply, '.')
			reply = strconv.AppendInt(reply, int64(op), 10)
			reply = append(reply, fastSuffix...)
			msgs[i].Reply = string(reply)
			if err = nc.PublishMsg(msgs[i]); err != nil {
				break
			}
		}
		if err != nil {
			// The batch was not committed; the server drops it when its
			// time runs out. What it stored is deduplicated when the
			// caller publishes the messages again.
			break
		}
		sent++
	}
	for range sent {
		var o outcome
		select {
		case o = <-done:
		case <-waitCtx.Done():
			return
		}
		if o.err != nil {
			var apiErr *jetstream.APIError
			if errors.Is(o.err, errNoFastBatches) || errors.As(o.err, &apiErr) && apiErr.ErrorCode == errBatchDisabled {
				if r.unbatched == nil {
					r.unbatched = make(map[string]bool)
				}
				r.unbatched[order[o.group]] = true
			}
			continue
		}
		for _, i := range groups[order[o.group]] {
			ok[i] = true
		}
	}
}

// fastAnswer reads an answer to a message of a fast batch of n messages:
// final is false for flow control, and err tells whether the batch's
// acknowledgement counts all n messages.
func fastAnswer(data []byte, n int) (final bool, err error) {
	var a struct {
		Type   string              `json:"type"`
		Stream string              `json:"stream"`
		Batch  string              `json:"batch"`
		Count  int                 `json:"count"`
		Error  *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return true, fmt.Errorf("fast batch: answer %q: %w", data, err)
	}
	switch {
	case a.Type == "ack":
		return false, nil
	case a.Error != nil:
		return true, a.Error
	case a.Type != "":
		return true, fmt.Errorf("fast batch: %s", data)
	case a.Batch == "" && a.Stream != "":
		// A plain PubAck of the first message: the server stored it as
		// a single publish with a reply subject (nats-server before
		// fast batches; o2c supports 2.11 and later).
		return true, errNoFastBatches
	case a.Count != n:
		return true, fmt.Errorf("fast batch: %d of %d messages taken", a.Count, n)
	}
	return true, nil
}
