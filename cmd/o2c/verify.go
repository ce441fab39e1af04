package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
)

// anchorFlags are verify's flags for the anchor check.
type anchorFlags struct {
	file, natsURL, publicKey string
	devKey                   bool
}

func newVerifyCmd() *cobra.Command {
	var dbURL string
	var schemas []string
	var af anchorFlags
	cmd := &cobra.Command{
		Use:   "verify [--database-url URL] [--schema S]... [--anchors-file PATH | --anchors-nats URL] [--anchor-public-key KEY]",
		Short: "Check the event stores' hash chains and anchors, rebuild the ledger's read models and check its invariants and bank reconciliation",
		Long: `verify checks, reading the database and changing nothing, that the books are
what their events say:

  1. hash chains: for each service schema it reads every event in stream
     order, recomputes the content hash and the chain hash from the stored
     bytes and compares them with the stored ones;
  2. anchors, when given a source (see below): every signed stream head is
     still stored as signed;
  3. the ledger's read models (journal lines, balances, open items,
     settlements): it rebuilds them from the ledger's events in a transaction
     that is rolled back, and compares them row by row with the stored ones;
  4. the accounting invariants: every entry balances, the trial balance
     balances, the receivables control account (1400) equals the sum of the
     debtor personal accounts, and each debtor's open items equal its account;
  5. the bank reconciliation: for every bank statement whose closing balance
     the ledger recorded, the bank account's balance as of the closing date
     equals it (o2c ledger bank-reconciliation shows each statement).

It prints one line per check and schema; a broken chain names its first
broken link (stream, version, event id, expected and stored value), differing
read models name the table and the rows missing or extra, a breached
invariant names the tenant, currency and difference, and a statement that
does not reconcile names the statement, IBAN, both balances and the
difference.

A hash chain cannot show that the last events of a stream, or a whole stream,
were deleted. The services therefore write signed anchors (the version and
chain hash of every stream head, the length of the log) outside the database:
to the JetStream stream O2C_ANCHORS (subjects o2c.anchors.<service>) or to an
append-only JSON-lines file. Given the anchors (--anchors-file or
--anchors-nats) and the public key they must be signed with
(--anchor-public-key, env O2C_ANCHOR_PUBLIC_KEY, base64; or --dev-anchor-key
for the demo's published development key), verify checks every anchor's
signature and sequence, then that every anchored stream head is still stored
at its version with its chain hash and that the log up to the latest anchor
is as long as anchored. A deleted tail, a deleted stream or a rewritten event
is reported naming the stream and the version.

What anchors cannot detect: changes made after the latest anchor (services
anchor once a minute when their log moved); anything done by someone holding
the signing key; and deletions by someone who also deletes the newest anchors
or the whole anchor store.

Without anchors verify says that deleted tails cannot be detected. Exit
status 1 when any chain is broken, the anchors do not match, the read models
differ from a rebuild, an invariant is breached or a bank statement does not
reconcile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dbURL == "" {
				return fmt.Errorf("--database-url (or DATABASE_URL) is required")
			}
			ctx := cmd.Context()
			anch, closeAnchors, err := af.open(ctx)
			if err != nil {
				return err
			}
			defer closeAnchors()
			ok, err := chains.VerifyAnchored(ctx, dbURL, schemas, anch, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if !ok {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	cmd.Flags().StringSliceVar(&schemas, "schema", chains.Schemas, "service schemas to verify")
	cmd.Flags().StringVar(&af.file, "anchors-file", "", "read anchors from this JSON-lines file")
	cmd.Flags().StringVar(&af.natsURL, "anchors-nats", "", "read anchors from the JetStream stream "+anchors.StreamName+" on this NATS server")
	cmd.Flags().StringVar(&af.publicKey, "anchor-public-key", os.Getenv(eventstore.AnchorPublicKeyEnv), "base64 Ed25519 public key the anchors must be signed with (env "+eventstore.AnchorPublicKeyEnv+")")
	cmd.Flags().BoolVar(&af.devKey, "dev-anchor-key", false, "trust the published development-only anchor key (demo and tests; proves nothing)")
	return cmd
}

// open returns the anchor check the flags ask for, nil when they name no
// source, and a function that releases its connection.
func (f anchorFlags) open(ctx context.Context) (*chains.Anchors, func(), error) {
	none := func() {}
	if f.file == "" && f.natsURL == "" {
		if f.devKey {
			return nil, none, errors.New("--dev-anchor-key needs --anchors-file or --anchors-nats")
		}
		return nil, none, nil // a key from the environment alone asks for no check
	}
	if f.file != "" && f.natsURL != "" {
		return nil, none, errors.New("give one anchor source: --anchors-file or --anchors-nats")
	}
	var pub ed25519.PublicKey
	switch {
	case f.devKey:
		pub = eventstore.DevOnlyAnchorKey().Public().(ed25519.PublicKey)
	case f.publicKey != "":
		var err error
		if pub, err = eventstore.ParseAnchorPublicKey(f.publicKey); err != nil {
			return nil, none, fmt.Errorf("--anchor-public-key: %w", err)
		}
	default:
		return nil, none, fmt.Errorf("checking anchors needs the key they are signed with: --anchor-public-key or %s", eventstore.AnchorPublicKeyEnv)
	}
	if f.file != "" {
		if _, err := os.Stat(f.file); err != nil {
			return nil, none, fmt.Errorf("--anchors-file: %w", err)
		}
		return &chains.Anchors{Source: anchors.NewFile(f.file), PublicKey: pub, Name: "file " + f.file}, none, nil
	}
	nc, err := nats.Connect(f.natsURL, nats.Name("o2c verify"))
	if err != nil {
		return nil, none, fmt.Errorf("--anchors-nats %s: %w", f.natsURL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, none, fmt.Errorf("--anchors-nats %s: %w", f.natsURL, err)
	}
	if _, err := js.Stream(ctx, anchors.StreamName); err != nil {
		nc.Close()
		return nil, none, fmt.Errorf("--anchors-nats %s: stream %s: %w", f.natsURL, anchors.StreamName, err)
	}
	return &chains.Anchors{Source: anchors.NewJetStream(js), PublicKey: pub, Name: "stream " + anchors.StreamName + " at " + f.natsURL}, nc.Close, nil
}
