package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

func TestCaughtUpFollowsTheConsumersFilter(t *testing.T) {
	_, js := natsembed.TestJetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BUSY", Subjects: []string{"t.>"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []jetstream.ConsumerConfig{
		{Durable: "filtered", FilterSubjects: []string{"t.a.>", "t.c.>"}, AckPolicy: jetstream.AckExplicitPolicy},
		{Durable: "all", AckPolicy: jetstream.AckExplicitPolicy},
	} {
		if _, err := st.CreateConsumer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	caughtUp := func(durable string) bool {
		t.Helper()
		ok, err := bus.CaughtUp(ctx, js, "BUSY", durable)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	publish := func(subjects ...string) {
		t.Helper()
		for _, s := range subjects {
			if _, err := js.Publish(ctx, s, []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// take fetches and acknowledges n messages of durable.
	take := func(durable string, n int) {
		t.Helper()
		con, err := st.Consumer(ctx, durable)
		if err != nil {
			t.Fatal(err)
		}
		batch, err := con.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatal(err)
			}
			got++
		}
		if got != n {
			t.Fatalf("%s: fetched %d messages, want %d (%v)", durable, got, n, batch.Error())
		}
	}

	if !caughtUp("filtered") || !caughtUp("all") {
		t.Fatal("consumers of an empty stream are not caught up")
	}
	publish("t.a.1", "t.b.1", "t.c.1", "t.b.2", "t.b.3")
	if caughtUp("filtered") {
		t.Fatal("filtered consumer caught up before it took its two messages")
	}
	take("filtered", 1)
	if caughtUp("filtered") {
		t.Fatal("filtered consumer caught up with one of its two messages taken")
	}
	take("filtered", 1)
	if !caughtUp("filtered") {
		t.Fatal("filtered consumer not caught up after taking both of its messages")
	}
	// The case consumer info and the stream's last sequence get wrong:
	// the stream's last messages are ones the filter skips.
	con, err := st.Consumer(ctx, "filtered")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := con.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.AckFloor.Stream >= info.State.LastSeq {
		t.Fatalf("ack floor %d reached the stream's last sequence %d: the test no longer has skipped messages at the end", ci.AckFloor.Stream, info.State.LastSeq)
	}

	take("all", 4)
	if caughtUp("all") {
		t.Fatal("unfiltered consumer caught up with one message left")
	}
	take("all", 1)
	if !caughtUp("all") {
		t.Fatal("unfiltered consumer not caught up after taking every message")
	}

	publish("t.c.2")
	if caughtUp("filtered") || caughtUp("all") {
		t.Fatal("a consumer is caught up before taking a new message its filter matches")
	}
}
