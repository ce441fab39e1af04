package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
)

// TestWronglyEncodedShopMessages publishes shop messages whose bytes are
// not what their Content-Type says, or are built to exhaust a decoder: a
// byte order mark before the JSON, JSON in UTF-16 and in Latin-1, JSON
// nested 100,000 deep, a number of 400 digits, a gzip bomb, protobuf sent
// as JSON and JSON as protobuf, an unknown content type, and a message of
// 900 KiB. Each ends as one open rejection naming why, none is stored,
// and a valid invoice sent after them is.
func TestWronglyEncodedShopMessages(t *testing.T) {
	t.Parallel()
	r := startIngestion(t)
	good, err := protojson.Marshal(testInvoice("ENC-0", 1000))
	if err != nil {
		t.Fatal(err)
	}
	asProto, err := proto.Marshal(testInvoice("ENC-P", 1000))
	if err != nil {
		t.Fatal(err)
	}
	var u16 []byte
	for _, u := range utf16.Encode([]rune(string(good))) {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	latin1 := bytes.Replace(good, []byte("Beispiel GmbH"), []byte("M\xfcller GmbH"), 1)
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	bigName := testInvoice("ENC-BIG", 1000)
	bigName.Debtor.Name = strings.Repeat("x", 900<<10)
	big, err := protojson.Marshal(bigName)
	if err != nil {
		t.Fatal(err)
	}
	jsonType := nats.Header{"Content-Type": {"application/json"}}
	protoType := nats.Header{"Content-Type": {"application/protobuf"}}
	msgs := []struct {
		name   string
		header nats.Header
		data   []byte
	}{
		{"byte order mark", jsonType, append([]byte("\xef\xbb\xbf"), good...)},
		{"UTF-16LE", jsonType, append([]byte("\xff\xfe"), u16...)},
		{"Latin-1", jsonType, latin1},
		{"nested 100,000 deep", jsonType, []byte(strings.Repeat(`{"debtor":`, 100000))},
		{"400-digit amount", jsonType, bytes.Replace(good, []byte(`"minorUnits":"1000"`), []byte(`"minorUnits":"1`+strings.Repeat("0", 400)+`"`), 1)},
		{"gzip bomb", nats.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, bomb.Bytes()},
		{"protobuf said to be JSON", jsonType, asProto},
		{"JSON said to be protobuf", protoType, good},
		{"unknown content type", nats.Header{"Content-Type": {"application/xml"}}, []byte("<invoice/>")},
		{"900 KiB debtor name", jsonType, big},
	}
	for _, m := range msgs {
		r.publishRaw(t, "shop.acme.invoice.issued", m.header, m.data)
	}
	valid := testInvoice("ENC-1", 1000)
	r.publishJSON(t, valid, nil)

	var got []*rejectionv1.Rejection
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got = r.open(t); len(got) >= len(msgs) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != len(msgs) {
		for _, x := range got {
			t.Logf("rejection: %s %s", x.GetReasonCode(), x.GetReason())
		}
		t.Fatalf("%d open rejections, want %d", len(got), len(msgs))
	}
	for _, x := range got {
		if x.GetReason() == "" || x.GetReasonCode() == "gave_up" || x.GetReasonCode() == "unknown" {
			t.Errorf("rejection %s without a permanent reason: %.300s", x.GetReasonCode(), x.GetReason())
		}
		if len(x.GetReason()) > 4000 {
			t.Errorf("a reason of %d bytes, want it cut", len(x.GetReason()))
		}
		t.Logf("%s: %.200s", x.GetReasonCode(), x.GetReason())
	}
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	eventually(t, "the valid invoice stored", func() bool {
		var n int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM ingestion.events WHERE stream_type = 'invoice'`).Scan(&n)
		return err == nil && n == 1
	})
}
