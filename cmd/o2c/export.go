package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
)

func newExportCmd() *cobra.Command {
	var f ledgerFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the books for the tax advisor (DATEV)",
	}
	f.bind(cmd)
	cmd.AddCommand(newExportDATEVCmd(&f))
	return cmd
}

func newExportDATEVCmd(f *ledgerFlags) *cobra.Command {
	var period, out string
	cmd := &cobra.Command{
		Use:   "datev --tenant T --period YYYY-MM [--out DIR] [--known-at TIME]",
		Short: "Write a month's DATEV files: the EXTF Buchungsstapel and the debtor master data (Debitoren/Kreditoren)",
		Long: `datev asks the ledger's ExportService for the DATEV files of one calendar month and
writes them to --out (default the current directory): the EXTF Buchungsstapel
(format category 21) of the journal entries dated in the month and the debtor
master data (format category 16) of every debtor they name, with the consultant
and client numbers from the tenants file's reports.datev section.

DATEV's rules decide the lines: one per document and tax rate with the gross
amount, the debtor's account against the revenue account, the BU key only where
the account is not automatic; bank-side lines go against the transit account
(Geldtransit), never the bank account. A closed period is exported as recorded at
its close, so exporting it twice gives the same bytes. An open period is exported
as recorded at --known-at (default now) and marked provisional (the batch's
description says "vorläufig").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			month, err := time.Parse("2006-01", period)
			if err != nil {
				return fmt.Errorf("--period %q: want a month YYYY-MM such as 2026-10", period)
			}
			known, err := f.knownAtTS()
			if err != nil {
				return err
			}
			if out == "" {
				out = "."
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("--out %s: %w", out, err)
			}
			return withLedger(cmd, f, func(ctx context.Context, conn *grpc.ClientConn) error {
				stream, err := ledgerv1grpc.NewExportServiceClient(conn).ExportDATEV(ctx, &ledgerv1.ExportDATEVRequest{
					Tenant: f.tenant, Year: int32(month.Year()), Month: int32(month.Month()), KnownAt: known})
				if err != nil {
					return err
				}
				files, last, err := receiveFiles(out, stream.Recv)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				state := "closed: exporting it again gives the same bytes"
				if !last.GetPeriodClosed() {
					state = "OPEN: provisional (vorläufig), it can change while the period stays open"
				}
				fmt.Fprintf(w, "DATEV export of tenant %s for %s, as recorded at %s; the period is %s\n",
					f.tenant, month.Format("2006-01"), last.GetKnownAt().AsTime().UTC().Format(time.RFC3339Nano), state)
				for _, fl := range files {
					fmt.Fprintf(w, "  %s (%d bytes)\n", fl.path, fl.size)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "calendar month YYYY-MM (required)")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the files to; default the current directory")
	f.bindKnownAt(cmd)
	_ = cmd.MarkFlagRequired("period")
	return cmd
}

// writtenFile is a file an export wrote.
type writtenFile struct {
	path string
	size int64
}

// receiveFiles writes the files of a chunked export stream into dir and
// returns them in order and the last response. Each file is written under
// a temporary name and renamed when its last chunk has come, so an
// interrupted export leaves no partial file under a DATEV name. File names
// are the ledger's, reduced to their base name.
func receiveFiles(dir string, recv func() (*ledgerv1.ExportDATEVResponse, error)) ([]writtenFile, *ledgerv1.ExportDATEVResponse, error) {
	var files []writtenFile
	var last *ledgerv1.ExportDATEVResponse
	var cur *os.File
	var curName string
	var size int64
	defer func() {
		if cur != nil {
			cur.Close()
			os.Remove(cur.Name())
		}
	}()
	for {
		r, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		last = r
		name := filepath.Base(r.GetFileName())
		if name == "." || name == string(filepath.Separator) || name == "" {
			return nil, nil, fmt.Errorf("the ledger sent a chunk without a file name")
		}
		if cur != nil && name != curName {
			return nil, nil, fmt.Errorf("the ledger started %s before it ended %s", name, curName)
		}
		if cur == nil {
			cur, err = os.CreateTemp(dir, "."+name+".*")
			if err != nil {
				return nil, nil, fmt.Errorf("write %s: %w", name, err)
			}
			curName, size = name, 0
		}
		n, err := cur.Write(r.GetData())
		size += int64(n)
		if err != nil {
			return nil, nil, fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
		if r.GetEndOfFile() {
			path := filepath.Join(dir, name)
			if err := cur.Close(); err != nil {
				return nil, nil, fmt.Errorf("write %s: %w", path, err)
			}
			if err := os.Rename(cur.Name(), path); err != nil {
				return nil, nil, fmt.Errorf("write %s: %w", path, err)
			}
			cur = nil
			files = append(files, writtenFile{path: path, size: size})
		}
	}
	if cur != nil {
		return nil, nil, fmt.Errorf("the export ended in the middle of %s", curName)
	}
	if last == nil {
		return nil, nil, errors.New("the ledger sent no files")
	}
	return files, last, nil
}
