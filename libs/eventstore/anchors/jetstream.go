package anchors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// StreamName is the JetStream stream of the anchors of every service.
const StreamName = "O2C_ANCHORS"

// Subject returns the subject of service's anchors: o2c.anchors.<service>.
// It has three tokens, so it never matches a service stream's
// o2c.*.<service>.> (four or more).
func Subject(service string) string { return "o2c.anchors." + service }

// StreamConfig is the declaration of the anchors stream: file storage,
// kept for ever, with message deletes and purges denied, so that removing
// anchors takes deleting the whole stream.
func StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Signed anchors of the services' event stores: o2c.anchors.<service>",
		Subjects:    []string{"o2c.anchors.*"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		DenyDelete:  true,
		DenyPurge:   true,
	}
}

// JetStream is an anchor sink on the stream StreamName, one subject per
// service. Appends are optimistic: each publish expects the last message
// on the subject to be the anchor it follows
// (Nats-Expected-Last-Subject-Sequence), so of concurrent appends of one
// sequence number exactly one is stored. The stream must exist (see
// StreamConfig; the services declare it when they manage streams).
type JetStream struct {
	js jetstream.JetStream
}

// NewJetStream returns a sink that stores in js.
func NewJetStream(js jetstream.JetStream) *JetStream { return &JetStream{js: js} }

// AppendAnchor publishes a after the last anchor of its service.
func (s *JetStream) AppendAnchor(ctx context.Context, a *eventstore.Anchor) error {
	subj := Subject(a.Service)
	str, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("anchors stream %s: %w", StreamName, err)
	}
	var lastMsg uint64
	var last int64
	msg, err := str.GetLastMsgForSubject(ctx, subj)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return fmt.Errorf("anchors stream %s: last anchor of %s: %w", StreamName, a.Service, err)
	default:
		p, err := decodePosition(msg.Data)
		if err != nil {
			return fmt.Errorf("anchors stream %s: message %d: %w", StreamName, msg.Sequence, err)
		}
		lastMsg, last = msg.Sequence, p.Seq
	}
	if err := checkNext(a, last); err != nil {
		return err
	}
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode anchor: %w", err)
	}
	_, err = s.js.Publish(ctx, subj, data, jetstream.WithExpectStream(StreamName), jetstream.WithExpectLastSequencePerSubject(lastMsg))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		return fmt.Errorf("%w: anchor %s #%d: another anchor was published first", eventstore.ErrAnchorConflict, a.Service, a.Seq)
	}
	if err != nil {
		return fmt.Errorf("publish anchor %s #%d: %w", a.Service, a.Seq, err)
	}
	return nil
}

// ReadAnchors calls fn with every anchor of service, oldest first, one
// stream message at a time. A missing stream holds no anchors.
func (s *JetStream) ReadAnchors(ctx context.Context, service string, fn func(*eventstore.Anchor) error) error {
	subj := Subject(service)
	str, err := s.js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("anchors stream %s: %w", StreamName, err)
	}
	last, err := str.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("anchors stream %s: last anchor of %s: %w", StreamName, service, err)
	}
	for seq := uint64(1); seq <= last.Sequence; {
		msg, err := str.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if err != nil {
			return fmt.Errorf("anchors stream %s: anchor of %s at or after message %d: %w", StreamName, service, seq, err)
		}
		var a eventstore.Anchor
		if err := json.Unmarshal(msg.Data, &a); err != nil {
			return fmt.Errorf("anchors stream %s: message %d: %w", StreamName, msg.Sequence, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		seq = msg.Sequence + 1
	}
	return nil
}
