package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// CaughtUp reports whether the durable consumer has acknowledged every
// message of stream that its filter subjects match and that the stream
// held when CaughtUp asked.
//
// Consumer info alone cannot say this: right after a publish is
// acknowledged, the server may not yet have counted the message as pending
// for the consumer (it tells consumers of new messages on a goroutine of
// its own), so "nothing pending, nothing unacknowledged" can hold for a
// consumer that has not seen the message. Nor can the stream's last
// sequence: a filtered consumer's ack floor stays behind the messages it
// skips. CaughtUp compares the ack floor with the stream sequence of the
// last message the filters match instead.
func CaughtUp(ctx context.Context, js jetstream.JetStream, stream, durable string) (bool, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return false, fmt.Errorf("stream %s: %w", stream, err)
	}
	con, err := st.Consumer(ctx, durable)
	if err != nil {
		return false, fmt.Errorf("consumer %s on %s: %w", durable, stream, err)
	}
	// The target is read before the consumer's state, so a message stored
	// in between can only make the answer "not yet".
	filters := slices.Clone(con.CachedInfo().Config.FilterSubjects)
	if f := con.CachedInfo().Config.FilterSubject; f != "" {
		filters = append(filters, f)
	}
	if len(filters) == 0 {
		filters = []string{">"}
	}
	var last uint64
	for _, f := range filters {
		m, err := st.GetLastMsgForSubject(ctx, f)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("last message on %s in %s: %w", f, stream, err)
		}
		last = max(last, m.Sequence)
	}
	ci, err := con.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("consumer %s on %s: %w", durable, stream, err)
	}
	return ci.NumAckPending == 0 && ci.AckFloor.Stream >= last, nil
}
