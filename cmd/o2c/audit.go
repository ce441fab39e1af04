package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/audit"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
)

func newAuditCmd() *cobra.Command {
	var dbURL, since, until string
	var q audit.Query
	cmd := &cobra.Command{
		Use:   "audit --tenant T [--actor A] [--since DATE|TIME] [--until DATE|TIME] [--schema S]... | --all-tenants ...",
		Short: "List who changed what: every recorded event with its actor, and the rejections operators resolved or replayed",
		Long: `audit reads the event stores of the service schemas and lists every change
recorded for a tenant, oldest first: when it was recorded (UTC), the service,
the actor the service recorded with it (a shop, a service, an operator; "(not
recorded)" for events written without one), what changed in words ("invoice
RE-1 registered", "period closed 2026-10") and the stream it belongs to. It
also lists the rejected messages an operator resolved (with the note) or
replayed, with that operator. Nothing is changed.

--actor keeps one actor's changes; "user:*" (quoted for the shell) keeps every
actor that starts with "user:". --since and --until take a date (YYYY-MM-DD,
a whole UTC day: --since 2026-11-01 --until 2026-11-30 is November) or an
instant (RFC 3339, e.g. 2026-11-03T08:00:00+01:00; --until is exclusive).

The listing is streamed as it is read, in blocks of 500 rows under a repeated
header, so a large store starts printing at once. Every tenant's changes are
listed only with --all-tenants instead of --tenant, the view of a platform
admin, and the output says so.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dbURL == "" {
				return errors.New("--database-url (or DATABASE_URL) is required")
			}
			switch {
			case q.AllTenants && q.Tenant != "":
				return errors.New("give --tenant or --all-tenants, not both")
			case !q.AllTenants && q.Tenant == "":
				return errors.New("--tenant is required (a platform admin may list every tenant with --all-tenants)")
			}
			var err error
			if q.Since, err = parseAuditTime(since, false); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if q.Until, err = parseAuditTime(until, true); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
				return fmt.Errorf("the period is empty: --until %s ends before --since %s begins", until, since)
			}
			if err := q.Check(); err != nil {
				return err
			}
			ctx := cmd.Context()
			conn, err := pgx.Connect(ctx, dbURL)
			if err != nil {
				return fmt.Errorf("connect to the database: %w", err)
			}
			defer conn.Close(ctx)
			return audit.Print(ctx, conn, q, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dbURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	cmd.Flags().StringVar(&q.Tenant, "tenant", "", "tenant whose changes to list")
	cmd.Flags().BoolVar(&q.AllTenants, "all-tenants", false, "list every tenant's changes (platform admin) instead of one tenant's")
	cmd.Flags().StringVar(&q.Actor, "actor", "", `only this actor's changes; a trailing * matches a prefix ("user:*")`)
	cmd.Flags().StringVar(&since, "since", "", "only changes recorded at or after this date (UTC) or RFC 3339 instant")
	cmd.Flags().StringVar(&until, "until", "", "only changes recorded up to this date (UTC, the whole day) or before this RFC 3339 instant")
	cmd.Flags().StringSliceVar(&q.Schemas, "schema", chains.Schemas, "service schemas to read")
	return cmd
}

// parseAuditTime reads a --since or --until value: "" is no bound, a date
// is the start of that UTC day, or with end set the start of the next one
// (so that --until names the last day listed), and an RFC 3339 instant is
// taken as it is.
func parseAuditTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-11-01) nor an RFC 3339 instant (2026-11-01T08:00:00Z)", s)
	}
	return t, nil
}
