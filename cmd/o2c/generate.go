package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/tenants"
)

// The files `o2c credentials generate` writes, as docker-compose.yml
// expects them in deploy/credentials.
const (
	genCA         = "ca.pem"
	genServerCert = "server.pem"
	genServerKey  = "server-key.pem"
	genCLICert    = "cli.pem"
	genCLIKey     = "cli-key.pem"
	genIngCert    = "ingestion.pem"
	genIngKey     = "ingestion-key.pem"
	genLedgerCert = "ledger.pem"
	genLedgerKey  = "ledger-key.pem"
	genMatchCert  = "matching.pem"
	genMatchKey   = "matching-key.pem"
	genRefundCert = "refund-import.pem"
	genRefundKey  = "refund-import-key.pem"
	genDunCert    = "dunning.pem"
	genDunKey     = "dunning-key.pem"
	genCollCert   = "collections.pem"
	genCollKey    = "collections-key.pem"
	genAgencyCert = "agency-sim.pem"
	genAgencyKey  = "agency-sim-key.pem"
	genConsCert   = "console.pem"
	genConsKey    = "console-key.pem"
	genOIDCSecret = "oidc-client-secret"
	genComposeEnv = "compose.env"
	genCLICreds   = "credentials.json"
)

func newCredentialsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Generate the credentials of an installation on one machine (docker compose)",
	}
	var tenantsFile, actor string
	var hosts []string
	gen := &cobra.Command{
		Use:   "generate DIR [--tenants FILE] [--host NAME]... [--actor A]",
		Short: "Write a CA, the services' certificate, a CLI certificate and NATS passwords into DIR",
		Long: `generate writes what the services, NATS and the CLI of an installation on one
machine (docker-compose.yml: DIR is deploy/credentials) authenticate with:

  ca.pem                      a CA made now; its key is not kept, so to issue more
                              certificates generate everything again
  server.pem, server-key.pem  the services' certificate (O2C_TLS_CERT, O2C_TLS_KEY) for
                              localhost, 127.0.0.1, the --host names and every service name
  cli.pem, cli-key.pem        the CLI's client certificate: --actor as accountant and
                              operator of every tenant of the tenants file
  ingestion.pem, ingestion-key.pem
                              ingestion's client certificate for the ledger
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:ingestion
                              with the service role for every tenant
  ledger.pem, ledger-key.pem
                              the ledger's client certificate for ingestion, which its
                              reports ask for the debtors' names
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:ledger
                              with the service role for every tenant
  matching.pem, matching-key.pem
                              matching's client certificate for ingestion, which it
                              asks for payers and debtors' master data
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:matching
                              with the service role for every tenant
  refund-import.pem, refund-import-key.pem
                              refund import's client certificate for ingestion, to
                              which it hands the settlement reports it fetches
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:refund-import
                              with the service role for every tenant
  dunning.pem, dunning-key.pem
                              dunning's client certificate for ingestion, which it
                              asks for the debtor's name and address on a notice
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:dunning
                              with the service role for every tenant
  collections.pem, collections-key.pem
                              collections' client certificate for ingestion, which it
                              asks for the debtor's master data on an agency's case
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:collections
                              with the service role for every tenant
  agency-sim.pem, agency-sim-key.pem
                              the reference agency's client certificate (cmd/agency-sim)
                              for collections' AgencyService: agency:agency-sim with
                              the agency role for agency agency-sim of every tenant
  console.pem, console-key.pem
                              the console's client certificate for every backend
                              (O2C_CLIENT_CERT, O2C_CLIENT_KEY): service:console with
                              the viewer role for every tenant; it acts as the signed-in
                              user whose token it forwards (O2C_JWT_JWKS on the backends)
  oidc-client-secret          empty: put the console's OIDC client secret here
  compose.env                 a fresh password per NATS user (O2C_NATS_PASSWORD_<USER>:
                              admin, each service, shop-<tenant> per tenant) and the
                              uid and gid the services run as, so that they can read the key
  credentials.json            the CLI's credentials file: the CA, its certificate and the
                              NATS user of the first tenant's shop

The certificates are valid for 30 days. Every file is readable by its owner
only; DIR must not exist yet or be empty. Then:

  docker compose --env-file DIR/compose.env up --build
  o2c --credentials DIR/credentials.json open-items --tenant demo

A production installation takes its certificates from its own CA and its
passwords from its secret store (README: Running securely).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("tenants") {
				if v := os.Getenv("O2C_TENANTS"); v != "" {
					tenantsFile = v
				}
			}
			ts, err := tenants.Load(tenantsFile)
			if err != nil {
				return err
			}
			return generate(cmd.OutOrStdout(), args[0], ts.IDs(), actor, hosts)
		},
	}
	gen.Flags().StringVar(&tenantsFile, "tenants", "deploy/tenants.json", "the tenants file (default $O2C_TENANTS, else deploy/tenants.json): a shop user per tenant, and the CLI's tenants")
	gen.Flags().StringSliceVar(&hosts, "host", nil, "another name the services are reached by (repeat or separate with commas)")
	gen.Flags().StringVar(&actor, "actor", "", "the CLI certificate's actor (default finance:<tenant> for a single tenant, else user:$USER)")
	cmd.AddCommand(gen)
	return cmd
}

// generate writes the credentials of an installation with the tenants ids
// into dir and says what it wrote and what to do next.
func generate(out io.Writer, dir string, ids []string, actor string, hosts []string) error {
	if len(ids) == 0 {
		return errors.New("the tenants file lists no tenant")
	}
	switch entries, err := os.ReadDir(dir); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty: generate writes into a new folder (remove it to start again; every certificate and password is then new)", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if actor == "" {
		actor = "finance:" + ids[0]
		if len(ids) > 1 {
			actor = "user:" + envOr("USER", "operator")
		}
	}
	cli := identity.Principal{Actor: actor, Tenants: ids, Roles: []identity.Role{identity.Accountant, identity.Operator}}
	ca, err := auth.NewDevCA("o2c CA " + filepath.Base(dir))
	if err != nil {
		return err
	}
	names := []string{"localhost", "127.0.0.1"}
	for _, s := range natsembed.Services() {
		names = append(names, s.Name)
	}
	for _, h := range hosts {
		if !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	srvCert, srvKey, err := ca.ServerCertificate(names...)
	if err != nil {
		return err
	}
	cliCert, cliKey, err := ca.ClientCertificate(cli)
	if err != nil {
		return err
	}
	ingCert, ingKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:ingestion", Tenants: ids, Roles: []identity.Role{identity.Service}})
	if err != nil {
		return err
	}
	ledgerCert, ledgerKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:ledger", Tenants: ids, Roles: []identity.Role{identity.Service}})
	if err != nil {
		return err
	}
	matchCert, matchKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:matching", Tenants: ids, Roles: []identity.Role{identity.Service}})
	if err != nil {
		return err
	}
	refundCert, refundKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:refund-import", Tenants: ids, Roles: []identity.Role{identity.Service}})
	if err != nil {
		return err
	}
	dunCert, dunKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:dunning", Tenants: ids, Roles: []identity.Role{identity.Service}})
	if err != nil {
		return err
	}
	collCert, collKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:collections", Tenants: ids, Roles: []identity.Role{identity.Service}})
	if err != nil {
		return err
	}
	agencyCert, agencyKey, err := ca.ClientCertificate(referenceAgency(ids))
	if err != nil {
		return err
	}
	consCert, consKey, err := ca.ClientCertificate(identity.Principal{Actor: "service:console", Tenants: ids, Roles: []identity.Role{identity.Viewer}})
	if err != nil {
		return err
	}
	users := []string{natsembed.AdminUser}
	for _, s := range natsembed.Services() {
		users = append(users, s.Name)
	}
	for _, t := range ids {
		users = append(users, natsembed.ShopUser(t))
	}
	env := fmt.Sprintf("# Written by `o2c credentials generate`: secrets of this installation; never commit them.\n"+
		"# docker compose --env-file %s up --build\nO2C_UID=%d\nO2C_GID=%d\n", filepath.Join(dir, genComposeEnv), os.Getuid(), os.Getgid())
	passwords := map[string]string{}
	for _, u := range users {
		secret := make([]byte, 24)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		passwords[u] = hex.EncodeToString(secret)
		env += natsembed.PasswordVariable(u) + "=" + passwords[u] + "\n"
	}
	for name, data := range map[string][]byte{genCA: ca.CertPEM(), genServerCert: srvCert, genServerKey: srvKey, genCLICert: cliCert, genCLIKey: cliKey, genIngCert: ingCert, genIngKey: ingKey, genLedgerCert: ledgerCert, genLedgerKey: ledgerKey, genMatchCert: matchCert, genMatchKey: matchKey, genRefundCert: refundCert, genRefundKey: refundKey, genDunCert: dunCert, genDunKey: dunKey, genCollCert: collCert, genCollKey: collKey, genAgencyCert: agencyCert, genAgencyKey: agencyKey, genConsCert: consCert, genConsKey: consKey, genOIDCSecret: nil, genComposeEnv: []byte(env)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	shop := natsembed.ShopUser(ids[0])
	err = credfile.Write(filepath.Join(dir, genCLICreds), &credfile.File{
		About: fmt.Sprintf("The o2c CLI's credentials for the installation of %s: %s (accountant, operator of %s) over mutual TLS, and NATS as %s.",
			dir, actor, strings.Join(ids, ", "), shop),
		GRPC: credfile.GRPC{CAFile: genCA, CertFile: genCLICert, KeyFile: genCLIKey},
		NATS: credfile.NATS{User: shop, Password: passwords[shop]},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote into %s (readable by you only; valid for 30 days):\n", dir)
	fmt.Fprintf(out, "  %s                      the CA (its key is not kept)\n", genCA)
	fmt.Fprintf(out, "  %s, %s  the services' certificate for %s\n", genServerCert, genServerKey, strings.Join(names, ", "))
	fmt.Fprintf(out, "  %s, %s        the CLI's certificate: %s, accountant and operator of %s\n", genCLICert, genCLIKey, actor, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s  ingestion's certificate for the ledger: service:ingestion, service of %s\n", genIngCert, genIngKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s        the ledger's certificate for ingestion: service:ledger, service of %s\n", genLedgerCert, genLedgerKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s    matching's certificate for ingestion: service:matching, service of %s\n", genMatchCert, genMatchKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s  refund import's certificate for ingestion: service:refund-import, service of %s\n", genRefundCert, genRefundKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s              dunning's certificate for ingestion: service:dunning, service of %s\n", genDunCert, genDunKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s      collections' certificate for ingestion: service:collections, service of %s\n", genCollCert, genCollKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s        the reference agency's certificate for collections: agency:%s, agency of %s\n", genAgencyCert, genAgencyKey, referenceAgencyID, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s, %s            the console's certificate for every backend: service:console, viewer of %s\n", genConsCert, genConsKey, strings.Join(ids, ", "))
	fmt.Fprintf(out, "  %s          empty: the console's OIDC client secret goes here\n", genOIDCSecret)
	fmt.Fprintf(out, "  %s                 NATS passwords of %s\n", genComposeEnv, strings.Join(users, ", "))
	fmt.Fprintf(out, "  %s            the CLI's credentials file (NATS as %s)\n", genCLICreds, shop)
	fmt.Fprintf(out, "Next:\n  docker compose --env-file %s up --build\n  export %s=%s\n  o2c open-items --tenant %s\n",
		filepath.Join(dir, genComposeEnv), credfile.Env, absOr(filepath.Join(dir, genCLICreds)), ids[0])
	return nil
}

// referenceAgencyID is the agency id of the reference agency
// (cmd/agency-sim) in the credentials `o2c credentials generate` writes; a
// tenant's collections section names it to hand it cases.
const referenceAgencyID = "agency-sim"

// referenceAgency is the principal of the reference agency's client
// certificate: the agency role for agency referenceAgencyID of the tenants
// ids, and nothing else.
func referenceAgency(ids []string) identity.Principal {
	return identity.Principal{Actor: "agency:" + referenceAgencyID, Tenants: ids, Roles: []identity.Role{identity.Agency}, Agency: referenceAgencyID}
}

// absOr returns p as an absolute path, or p when that fails.
func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
