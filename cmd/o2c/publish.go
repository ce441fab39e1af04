package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/shoppub"
)

func newPublishCmd() *cobra.Command {
	var subject, natsURL string
	cmd := &cobra.Command{
		Use:   "publish FILE.json [--subject shop.<tenant>.invoice.issued] [--nats URL]",
		Short: "Publish a shop invoice from a JSON file to NATS, as a shop system would",
		Long: `publish sends one shop event to the running system the way a shop does: the
file is an InvoiceIssued message (proto/o2c/shop/v1/invoice.proto) in protobuf's
JSON form, as in examples/invoice.json. It is checked to parse (an unknown field
or a wrong type is an error naming it), then published unchanged on
shop.<tenant>.invoice.issued with Content-Type application/json and a Nats-Msg-Id
derived from the tenant, invoice number and content, so publishing the same file
twice is stored once. It waits for JetStream's acknowledgement; when the stream
is full or the acknowledgement does not come, it publishes again for up to 10
seconds (libs/shoppub).

publish connects as the NATS user of the credentials file (--credentials; the
demo's names its shop's user, shop-demo), and a shop's user may publish only
for its own tenant.

publish does not validate the invoice itself: ingestion does, and either books it
(o2c open-items --tenant T) or records why not (o2c rejected --tenant T). Start the
system first with ` + "`make demo ARGS=--keep-running`" + `.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readSmallFile(args[0], maxInvoiceFile)
			if err != nil {
				return err
			}
			inv := &shopv1.InvoiceIssued{}
			if err := protojson.Unmarshal(data, inv); err != nil {
				return fmt.Errorf("%s is not an InvoiceIssued in JSON (see proto/o2c/shop/v1/invoice.proto and examples/invoice.json): %w", args[0], err)
			}
			tenant := inv.GetTenant()
			if tenant == "" {
				return fmt.Errorf("%s: the invoice names no tenant", args[0])
			}
			if subject == "" {
				subject = "shop." + tenant + ".invoice.issued"
			} else if st, _ := bus.TenantFromSubject(subject); st != tenant {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the subject's tenant %q is not the invoice's %q: ingestion will reject it\n", st, tenant)
			}
			msg := nats.NewMsg(subject)
			msg.Data = data
			msg.Header.Set("Content-Type", "application/json")
			sum := sha256.Sum256(data)
			msg.Header.Set(jetstream.MsgIDHeader, tenant+":"+inv.GetInvoiceNumber()+":"+hex.EncodeToString(sum[:8]))

			c, err := loadCredentials(cmd)
			if err != nil {
				return err
			}
			user := c.nats().User
			// The server refuses a publish its user may not make with an
			// asynchronous error, not an answer: it ends the wait for the
			// acknowledgement at once instead of letting it run out.
			ctx, cancel := context.WithCancelCause(cmd.Context())
			defer cancel(nil)
			opts := append([]nats.Option{nats.Name("o2c publish"), nats.Timeout(5 * time.Second),
				nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
					if errors.Is(err, nats.ErrPermissionViolation) {
						cancel(err)
					}
				})}, c.nats().Options()...)
			nc, err := nats.Connect(natsURL, opts...)
			switch {
			case errors.Is(err, nats.ErrAuthorization):
				if user == "" {
					return fmt.Errorf("NATS at %s wants a user, and %s", natsURL, c.missing())
				}
				return fmt.Errorf("NATS at %s refused user %s with the password of %s: is it the file of this system?", natsURL, user, c.what())
			case err != nil:
				return fmt.Errorf("cannot reach NATS at %s (%v): is it running? %s, or point --nats at it", natsURL, err, startHint)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return fmt.Errorf("NATS at %s: %w", natsURL, err)
			}
			ctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Second)
			defer cancelTimeout()
			// A full stream or a lost acknowledgement is published again
			// (the Nats-Msg-Id makes that safe) until the timeout; no
			// stream at all is said at once.
			ack, err := shoppub.Publish(ctx, js, msg, shoppub.Options{
				Retry: func(err error) bool {
					return shoppub.Retryable(err) && !errors.Is(err, jetstream.ErrNoStreamResponse) && !errors.Is(err, nats.ErrNoResponders)
				},
				OnRetry: func(attempt int, err error) {
					if attempt == 1 {
						fmt.Fprintf(cmd.ErrOrStderr(), "not stored yet (%v); publishing again until it is\n", err)
					}
				},
			})
			if cause := context.Cause(ctx); err != nil && errors.Is(cause, nats.ErrPermissionViolation) {
				return fmt.Errorf("NATS at %s does not let user %s publish on %s: a shop's user publishes only on shop.<its tenant>.> "+
					"(deploy/nats/README.md); publish with the credentials of the shop of tenant %s", natsURL, asUser(user), subject, tenant)
			}
			switch {
			case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
				return fmt.Errorf("no JetStream stream at %s takes %s: is ingestion running? It declares the stream %s. %s", natsURL, subject, bus.ShopStream, startHint)
			case err != nil:
				return fmt.Errorf("publish to %s at %s: %w", subject, natsURL, err)
			}
			out := cmd.OutOrStdout()
			if ack.Duplicate {
				fmt.Fprintf(out, "%s: already published (stream %s, sequence %d); not stored again\n", subject, ack.Stream, ack.Sequence)
			} else {
				fmt.Fprintf(out, "published invoice %s of tenant %s on %s: stream %s, sequence %d\n", inv.GetInvoiceNumber(), tenant, subject, ack.Stream, ack.Sequence)
			}
			debtor := ""
			if id := inv.GetDebtor().GetCustomerId(); id != "" {
				debtor = " --debtor " + id
			}
			fmt.Fprintf(out, "Ingestion checks it within moments; then see it\n  booked:  o2c open-items --tenant %s%s\n  refused: o2c rejected --tenant %s\n", tenant, debtor, tenant)
			return nil
		},
	}
	cmd.Flags().StringVar(&subject, "subject", "", "subject to publish on; default shop.<the invoice's tenant>.invoice.issued")
	cmd.Flags().StringVar(&natsURL, "nats", envOr("O2C_NATS_URL", nats.DefaultURL), "NATS server URL (env O2C_NATS_URL)")
	return cmd
}

// asUser names a NATS user for a message, "(no user)" for none.
func asUser(user string) string {
	if user == "" {
		return "(no user)"
	}
	return user
}

// maxInvoiceFile is the largest invoice file publish reads: NATS carries
// messages of at most 1 MiB unless configured otherwise (8 MiB at most is
// advised), and an invoice is a few kilobytes.
const maxInvoiceFile = 8 << 20

// readSmallFile reads the regular file name whole, refusing one of more
// than limit bytes before reading it (or when it grows past limit while
// read), so that a wrong argument (a disk image, /dev/zero) is an error
// rather than the machine's memory.
func readSmallFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a file", name)
	}
	if fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, fmt.Errorf("%s has %d bytes, more than the %d this command reads", name, fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s has more than the %d bytes this command reads", name, limit)
	}
	return data, nil
}
