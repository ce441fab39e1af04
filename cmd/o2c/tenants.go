package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/tenants"
	collections "github.com/o2c-platform/o2c/services/collections/service"
	dunning "github.com/o2c-platform/o2c/services/dunning/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
)

// sectionChecks are the services' own checks of their sections of a
// tenants file, run by validate in this order, as each service runs its
// own when it starts.
var sectionChecks = []func(*tenants.File) error{
	ledger.CheckTenants, matching.CheckTenants, dunning.CheckTenants, refundimport.CheckTenants, collections.CheckTenants,
	ingestion.CheckTenants,
}

func newTenantsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenants list|show|validate|schema",
		Short: "Read the tenants file: the tenants o2c keeps books for and their configuration",
		Long: `The tenants file is the one configuration every service reads (` + host.TenantsEnv + `). A tenant
exists only when it is listed there: messages for any other tenant are rejected and
questions about one are answered "does not exist". The commands read the file named by
--file, else by ` + host.TenantsEnv + `; ` + "`o2c tenants schema`" + ` prints its JSON Schema.`,
	}
	var file string
	cmd.PersistentFlags().StringVar(&file, "file", os.Getenv(host.TenantsEnv), "tenants file (env "+host.TenantsEnv+")")
	load := func() (*tenants.File, error) {
		if file == "" {
			return nil, errors.New("no tenants file: pass --file FILE or set " + host.TenantsEnv)
		}
		return tenants.Load(file)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Check tenants files as the services do at start; print OK or every problem",
		Long: `validate checks each FILE (default: --file, else $` + host.TenantsEnv + `) as the services do
when they start: its JSON against the schema's rules, each tenant's ledger section
against its chart, and the sections the other services own (matching, dunning,
refunds, collections) as those services read them. It prints "FILE: OK" or one line per problem, naming the file, line,
tenant and field. Exit status 1 means at least one file has a problem.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				if file == "" {
					return errors.New("no tenants file: pass FILE or set " + host.TenantsEnv)
				}
				args = []string{file}
			}
			bad := false
			for _, path := range args {
				if !validate(cmd.OutOrStdout(), path) {
					bad = true
				}
			}
			if bad {
				return exitCode(1)
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the tenants of the tenants file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := load()
			if err != nil {
				return err
			}
			listTenants(cmd.OutOrStdout(), f)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show TENANT",
		Short: "Print one tenant's configuration as the services read it (defaults filled in)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := load()
			if err != nil {
				return err
			}
			t, ok := f.Tenant(args[0])
			if !ok {
				return fmt.Errorf("tenant %s does not exist in %s; it lists %s", args[0], f.Path, strings.Join(f.IDs(), ", "))
			}
			showTenant(cmd.OutOrStdout(), f, t)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the tenants file (" + tenants.SchemaFile + ")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(tenants.Schema())
			return err
		},
	})
	return cmd
}

// validate checks the tenants file at path as the services do at start and
// writes "PATH: OK …" or one line per problem; it reports whether the file
// is valid.
func validate(w io.Writer, path string) bool {
	f, err := tenants.Load(path)
	if err != nil {
		printProblems(w, path, err)
		return false
	}
	ok := true
	for _, check := range sectionChecks {
		if err := check(f); err != nil {
			printProblems(w, path, err)
			ok = false
		}
	}
	if ok {
		fmt.Fprintf(w, "%s: OK, %s: %s\n", path, table.Count(len(f.IDs()), "tenant"), strings.Join(f.IDs(), ", "))
	}
	return ok
}

// printProblems writes a tenants file's problems one per line.
func printProblems(w io.Writer, path string, err error) {
	var fe *tenants.FileError
	if errors.As(err, &fe) {
		for _, p := range fe.Problems {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", path, err)
}

// listTenants writes a table of the tenants of f.
func listTenants(w io.Writer, f *tenants.File) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tNAME\tCHART\tBANKS\tMARKETPLACES\tTAX RULES\tLEDGER SECTION")
	for _, t := range f.Tenants() {
		l := t.Ledger
		chart := l.Chart
		if chart == "" {
			chart = "SKR03"
		}
		section := "own"
		if l.Path != "ledger" {
			section = l.Path
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", t.ID, orDash(t.Name), chart, len(l.Banks), len(l.Marketplaces), len(l.Tax), section)
	}
	tw.Flush()
	fmt.Fprintf(w, "%s in %s\n", table.Count(len(f.IDs()), "tenant"), f.Path)
}

// showTenant writes one tenant's configuration.
func showTenant(w io.Writer, f *tenants.File, t tenants.Tenant) {
	fmt.Fprintf(w, "tenant %s", t.ID)
	if t.Name != "" {
		fmt.Fprintf(w, " (%s)", t.Name)
	}
	fmt.Fprintf(w, " in %s", f.Path)
	if t.Ledger.Path != "ledger" {
		fmt.Fprintf(w, "; its ledger section is %s", t.Ledger.Path)
	}
	fmt.Fprintf(w, "\n%s\n", t.JSON())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
