package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// newImportsCmd is `o2c imports`: the files a tenant imported, newest
// first, with what each brought.
func newImportsCmd() *cobra.Command {
	var addr, tenant, output string
	var limit int32
	cmd := &cobra.Command{
		Use:   "imports --tenant T [--limit N]",
		Short: "List imported bank files and settlement reports: when, which file, format, status, new/duplicate/rejected, by whom",
		Long: `List the files ingestion imported for a tenant, newest first, whether through
o2c import or the drop folder (actor "service:ingestion (drop folder)"): when, the
file name, the format read, the status (IMPORTED, DUPLICATE_FILE, REJECTED), how
many transactions were new, received before (duplicate) and rejected, and who
imported it. A rejected file's reason follows its line. --output json prints one
JSON object per import (JSON Lines).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("unknown --output %q (want one of %s)", output, strings.Join(importOutputs, ", "))
			}
			svc := serviceAt("ingestion", addr)
			conn, err := dial(cmd, svc)
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := ingestionv1grpc.NewImportServiceClient(conn).ListImports(ctx, &ingestionv1.ListImportsRequest{Tenant: tenant, Limit: limit})
			if err != nil {
				return explain(svc, err)
			}
			if output == "json" {
				return writeImportsJSON(cmd.OutOrStdout(), resp.GetImports())
			}
			writeImports(cmd.OutOrStdout(), resp.GetImports(), resp.GetNextPageToken() != "")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address (env O2C_INGESTION_ADDR)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id (required)")
	cmd.Flags().Int32Var(&limit, "limit", 50, "at most this many imports, newest first (at most 500)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: "+strings.Join(importOutputs, "|")+" (json prints JSON Lines)")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

// writeImports writes one line per import, a rejected file's reason
// indented below it, and how many there are.
func writeImports(w io.Writer, rs []*ingestionv1.ImportRecord, more bool) {
	if len(rs) > 0 {
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tFILE\tFORMAT\tSTATUS\tNEW\tDUPLICATE\tREJECTED\tACTOR")
		for _, r := range rs {
			c := r.GetCounts()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.GetImportedAt().AsTime().UTC().Format(time.RFC3339), r.GetFileName(),
				orElse(r.GetFormat(), "-"), statusName(r.GetStatus()), c.GetNew(), c.GetDuplicate(), c.GetRejected(), r.GetActor())
		}
		tw.Flush()
		// A rejected file's reason goes below its row, outside the
		// columns: a parser's message is long.
		lines := strings.SplitAfter(buf.String(), "\n")
		io.WriteString(w, lines[0])
		for i, r := range rs {
			io.WriteString(w, lines[i+1])
			if r.GetStatus() == ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED && r.GetError() != "" {
				fmt.Fprintf(w, "  %s\n", r.GetError())
			}
		}
	}
	fmt.Fprint(w, table.Count(len(rs), "import"))
	if more {
		fmt.Fprint(w, "; there are older ones (raise --limit, at most 500)")
	}
	fmt.Fprintln(w)
}

// importRecordLine is an import record's JSON line.
type importRecordLine struct {
	ImportID   string      `json:"import_id"`
	Tenant     string      `json:"tenant"`
	File       string      `json:"file"`
	SHA256     string      `json:"sha256"`
	Format     string      `json:"format,omitempty"`
	Size       int64       `json:"size"`
	Status     string      `json:"status"`
	Counts     importCount `json:"counts"`
	Error      string      `json:"error,omitempty"`
	ImportedAt time.Time   `json:"imported_at"`
	Actor      string      `json:"actor"`
}

func writeImportsJSON(w io.Writer, rs []*ingestionv1.ImportRecord) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		c := r.GetCounts()
		if err := enc.Encode(importRecordLine{
			ImportID: r.GetImportId(), Tenant: r.GetTenant(), File: r.GetFileName(), SHA256: r.GetSha256(), Format: r.GetFormat(),
			Size: r.GetSize(), Status: statusName(r.GetStatus()), Error: r.GetError(), ImportedAt: r.GetImportedAt().AsTime().UTC(), Actor: r.GetActor(),
			Counts: importCount{New: c.GetNew(), Duplicate: c.GetDuplicate(), Rejected: c.GetRejected(), Statements: c.GetStatements(), Settlements: c.GetSettlements()},
		}); err != nil {
			return err
		}
	}
	return nil
}
